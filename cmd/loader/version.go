package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/migrations"
	"github.com/pgshape/pgshape/shape"
)

// version is the loader's version, set at link time by `make build`:
// -ldflags "-X main.version=$(git describe --tags --always --dirty)". Empty in a plain
// `go build`: loaderVersion then reads the module's build info.
var version string

// devVersion names a build that knows no version of its own.
const devVersion = "v0.1.0-dev"

// loaderVersion picks the version to print: the one linked in, else the main module's
// version from the build info (`go install …@v0.1.0`, or the VCS-stamped pseudo-version
// of a build in a checkout), else devVersion.
func loaderVersion(linked string, bi *debug.BuildInfo) string {
	if linked != "" {
		return linked
	}
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return devVersion
}

// versionFlag is the app's --version.
func versionFlag() cli.Flag {
	return &cli.BoolFlag{Name: "version", Usage: "print the loader's version, the shape_version it writes and reads, and the migration versions it carries"}
}

// rootAction runs when no command is given: --version, else the help.
func rootAction(c *cli.Context) error {
	if c.Bool("version") {
		return printVersion(c.App.Writer)
	}
	if c.Args().Present() {
		return usageError("no command %q (see loader --help)", c.Args().First())
	}
	return cli.ShowAppHelp(c)
}

// printVersion writes what `loader --version` says: the loader's version, the
// shape_version of the documents it writes and reads, and the highest migration of each
// goose set it carries (read from the embedded files).
func printVersion(w io.Writer) error {
	src := migrations.Embedded()
	shapeLayer, err := src.LatestShapeVersion()
	if err != nil {
		return err
	}
	target, err := src.LatestTargetVersion()
	if err != nil {
		return err
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintf(w, "loader %s\n", loaderVersion(version, bi))
	fmt.Fprintf(w, "shape_version %s\n", shape.Version)
	fmt.Fprintf(w, "shape layer migration version %d (%s)\n", shapeLayer, migrations.ShapeVersionTable)
	fmt.Fprintf(w, "target set migration version %d (%s)\n", target, migrations.TargetVersionTable)
	return nil
}
