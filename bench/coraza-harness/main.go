// Command coraza-harness runs requests through Coraza with the OWASP Core Rule Set for `npm run bench:inspection`.
// It reads one JSON request per line on stdin ({"method","uri","headers":[[name,value]...],"body"}) and writes one
// JSON result per line on stdout ({"blocked","rules","ns"}): whether CRS interrupted the transaction at the
// configured paranoia level (anomaly threshold 5; PUT, PATCH and DELETE allowed, as for an API), which rules matched, and the nanoseconds the request phases took.
// bench/inspection.ts builds it outside the repository against pinned module versions.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
)

type request struct {
	Method  string      `json:"method"`
	URI     string      `json:"uri"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

type result struct {
	Blocked bool  `json:"blocked"`
	Rules   []int `json:"rules"`
	Ns      int64 `json:"ns"`
}

func main() {
	pl := flag.Int("pl", 1, "CRS paranoia level (blocking and detection)")
	flag.Parse()
	directives := fmt.Sprintf(`Include @coraza.conf-recommended
Include @crs-setup.conf.example
SecRuleEngine On
SecRequestBodyAccess On
SecAction "id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=%d"
SecAction "id:900001,phase:1,pass,t:none,nolog,setvar:tx.detection_paranoia_level=%d"
SecAction "id:900200,phase:1,pass,t:none,nolog,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'"
Include @owasp_crs/*.conf`, *pl, *pl)
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().WithRootFS(coreruleset.FS).WithDirectives(directives))
	if err != nil {
		fmt.Fprintln(os.Stderr, "coraza:", err)
		os.Exit(1)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			fmt.Fprintln(os.Stderr, "bad request line:", err)
			os.Exit(1)
		}
		start := time.Now()
		tx := waf.NewTransaction()
		tx.ProcessConnection("127.0.0.1", 40000, "127.0.0.1", 8080)
		tx.ProcessURI(r.URI, r.Method, "HTTP/1.1")
		for _, h := range r.Headers {
			tx.AddRequestHeader(h[0], h[1])
		}
		it := tx.ProcessRequestHeaders()
		if it == nil {
			// phase 2 runs even without a body: most CRS rules inspect ARGS there
			if r.Body != "" {
				if _, _, err := tx.WriteRequestBody([]byte(r.Body)); err != nil {
					fmt.Fprintln(os.Stderr, "body:", err)
				}
			}
			it, _ = tx.ProcessRequestBody()
		}
		ns := time.Since(start).Nanoseconds()
		res := result{Blocked: it != nil || tx.IsInterrupted(), Ns: ns, Rules: []int{}}
		for _, m := range tx.MatchedRules() {
			if id := m.Rule().ID(); id >= 910000 && id < 950000 {
				res.Rules = append(res.Rules, id)
			}
		}
		tx.ProcessLogging()
		tx.Close()
		if err := enc.Encode(res); err != nil {
			os.Exit(1)
		}
	}
}
