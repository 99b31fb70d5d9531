package loader

// ExportSplitRaw is exportSplitRaw for the external tests.
var ExportSplitRaw = exportSplitRaw
