package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/option"
)

// fieldErrorFields reads every non-test Go file below the repository root, outside
// cmd/, and returns the field names an *option.FieldError can carry: the string
// literal first argument of every call to option.Errorf or to a function whose first
// parameter is `field string` (validate.CheckFraction, …). Such a call with any other
// first argument is reported, unless it passes `field` through.
func fieldErrorFields(t *testing.T, root string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "cmd") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The functions (package.name) that take a field name first.
	takesField := map[string]bool{"option.Errorf": true}
	for _, f := range files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || len(fd.Type.Params.List) == 0 || len(fd.Type.Params.List[0].Names) == 0 {
				continue
			}
			if p := fd.Type.Params.List[0]; p.Names[0].Name == "field" && fmt.Sprint(p.Type) == "string" {
				takesField[f.Name.Name+"."+fd.Name.Name] = true
			}
		}
	}
	fields := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok && takesField[x.Name+"."+fn.Sel.Name] {
					name = x.Name + "." + fn.Sel.Name
				}
			case *ast.Ident:
				if takesField[f.Name.Name+"."+fn.Name] {
					name = f.Name.Name + "." + fn.Name
				}
			}
			if name == "" {
				return true
			}
			at := fset.Position(call.Pos()).String()
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
				s, err := strconv.Unquote(a.Value)
				if err != nil || a.Kind != token.STRING {
					t.Errorf("%s: %s's field is %s, want a string literal", at, name, a.Value)
				}
				fields[s] = at
			case *ast.Ident:
				if a.Name != "field" {
					t.Errorf("%s: %s's field is the variable %s, want a string literal (so this test sees it)", at, name, a.Name)
				}
			default:
				t.Errorf("%s: %s's field is not a string literal", at, name)
			}
			return true
		})
	}
	return fields
}

// TestFieldFlags: every field an *option.FieldError below cmd can name maps to a flag
// (or is listed as having none), every flag the map names exists, and the map has no
// field that no FieldError names.
func TestFieldFlags(t *testing.T) {
	t.Parallel()
	fields := fieldErrorFields(t, filepath.Join("..", ".."))
	for _, want := range []string{"K", "WindowDays", "Tolerance", "Truncate", "DatabaseURL", "Overwrite", "AllowAnyTarget"} {
		if fields[want] == "" {
			t.Errorf("the scan found no FieldError naming %s: is the scan still reading the code?", want)
		}
	}
	for field, at := range fields {
		if _, ok := fieldFlags[field]; !ok {
			t.Errorf("%s: FieldError names %s, which fieldFlags does not map to a flag", at, field)
		}
	}
	for field := range fieldFlags {
		if fields[field] == "" {
			t.Errorf("fieldFlags maps %s, which no FieldError names", field)
		}
	}
	flags := map[string]bool{}
	for _, cmd := range newApp(io.Discard, io.Discard).Commands {
		for _, f := range cmd.Flags {
			for _, n := range f.Names() {
				flags["--"+n] = true
			}
		}
	}
	for field, flag := range fieldFlags {
		if strings.HasPrefix(flag, "--") && !flags[flag] {
			t.Errorf("fieldFlags maps %s to %s, which no command has", field, flag)
		}
	}
}

// TestMessage: a FieldError anywhere in the chain is printed with its flag, nested
// fields by their last part, and an unmapped field by its Go name.
func TestMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{option.Errorf("WindowDays", "error checking the window: 0 days: pass {} 30"), "error checking the window: 0 days: pass --window-days 30"},
		{fmt.Errorf("error generating the round 1 pilot: %w", option.Errorf("Band", "unknown band %q: pass {} tiny", "x")),
			`error generating the round 1 pilot: unknown band "x": pass --band tiny`},
		{option.Nest("Tolerances", option.Errorf("Tolerance", "error checking {}: 1.5 is outside (0, 1)")), "error checking --tolerance: 1.5 is outside (0, 1)"},
		{option.Errorf("NEffCap", "error checking {}: -1"), "error checking NEffCap: -1"},
		{usageError("%w", errors.New("two\nlines")), "two lines"},
	} {
		if got := message(tc.err); got != tc.want {
			t.Errorf("message(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
