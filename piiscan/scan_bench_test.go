package piiscan_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/piiscan"
)

// BenchmarkScan scans arrays of 1, 10 and 100 copies of testdata/shape-example.json
// (a full shape document, about the size `loader sample` writes).
func BenchmarkScan(b *testing.B) {
	one, err := os.ReadFile("../testdata/shape-example.json")
	if err != nil {
		b.Skip("testdata/shape-example.json not present")
	}
	for _, n := range []int{1, 10, 100} {
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i := range n {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(one)
		}
		buf.WriteByte(']')
		doc := buf.Bytes()
		b.Run(fmt.Sprintf("copies=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				fs, err := piiscan.Scan(doc, piiscan.Options{DenyList: []string{"acme-internal"}})
				if err != nil || len(fs) != 0 {
					b.Fatalf("%v %v", fs, err)
				}
			}
		})
	}
}

// BenchmarkScanLongString scans one string value holding n copies of an address and an
// email: the cost per byte must stay flat as n grows (it grew with n while claimed
// spans were compared pairwise).
func BenchmarkScanLongString(b *testing.B) {
	for _, n := range []int{1000, 4000, 16000} {
		doc := []byte(`"` + strings.Repeat("1.2.3.4 a@b.co ", n) + `"`)
		b.Run(fmt.Sprintf("copies=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				fs, err := piiscan.Scan(doc, piiscan.Options{})
				if err != nil || len(fs) != 2 {
					b.Fatalf("%v %v", fs, err)
				}
			}
		})
	}
}

// BenchmarkScanDeep scans a document nested depth levels deep under 1000-character
// keys, a finding at the bottom: the cost per byte must stay flat as depth grows (it
// grew with depth while every level's path was joined; depth 1000 took 25 s).
func BenchmarkScanDeep(b *testing.B) {
	key := `"` + strings.Repeat("a", 1000) + `":`
	for _, depth := range []int{250, 500, 1000} {
		doc := []byte(strings.Repeat("{"+key, depth) + `"4111 1111 1111 1111"` + strings.Repeat("}", depth))
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				fs, err := piiscan.Scan(doc, piiscan.Options{})
				if err != nil || len(fs) != 1 || len(fs[0].Path) != 1+depth*1001 {
					b.Fatalf("%d findings, %v", len(fs), err)
				}
			}
		})
	}
}
