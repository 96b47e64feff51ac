// A Go net/http ServeMux with the routes every test upstream has (test/upstreams/routes.ts): each answers
// "route <name>". Listens on 127.0.0.1, an ephemeral port printed on stdout.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func route(name string, status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprintf(w, "route %s", name)
	}
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/admin", route("admin", 200))
	mux.HandleFunc("/admin/", route("admin", 200))
	mux.HandleFunc("/public/", route("public", 200))
	mux.HandleFunc("/docs/", route("docs", 200))
	mux.HandleFunc("/login", route("login", 200))
	mux.HandleFunc("/", route("none", 404))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
