package dburl

import "testing"

func TestResolve(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{"flag wins", "postgres://a@h/db", map[string]string{"DATABASE_URL": "postgres://b@h/db", "PGHOST": "x"}, "postgres://a@h/db"},
		{"then DATABASE_URL", "", map[string]string{"DATABASE_URL": "postgres://b@h/db", "PGHOST": "x"}, "postgres://b@h/db"},
		{"then libpq variables, read by pgx", "", map[string]string{"PGPORT": "5433"}, ""},
		{"PGSERVICE counts", "", map[string]string{"PGSERVICE": "staging"}, ""},
		{"else the default", "", map[string]string{"HOME": "/root"}, Default},
	}
	for _, c := range cases {
		got := resolve(c.flag, func(k string) string { return c.env[k] })
		if got != c.want {
			t.Errorf("%s: resolve = %q, want %q", c.name, got, c.want)
		}
	}
}
