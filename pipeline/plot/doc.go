// Package plot draws the validation pictures with gonum/plot and the HTML page that
// shows them beside the check table and the decision.
//
// # Pictures
//
// One PNG per histogram family both documents publish (conversation size, messages
// per active conversation, content length, gaps between messages, read delay,
// attachment size, account age, username length): on the left the share of rows per
// decade (log x, for the logarithmic grids) or per unit, on the right the cumulative
// share, both on the common grid of validate.CommonGrid so k-anonymity merges do not
// show as differences. Then the 24-hour profile, and the two 7×24 weekday × hour heat
// maps side by side (plotter.HeatMap) on one colour scale, suppressed cells in grey.
// The production baseline is solid blue, the synthetic side dashed orange.
//
// # Page
//
// Write puts index.html beside the PNGs: the decision, the check table, the
// distribution tests with their p-values at n_eff and at full n, and the pictures. The
// page has inline CSS and refers to the pictures by relative names, so the directory
// is self-contained.
package plot
