// Independent check of a fixture-db output with Go's bbolt (the library Trivy uses):
// tx.Check() (page reachability, key order, branch keys) and an exact comparison of every bucket
// and key with the fixtures, encoded the bolt-fixtures way (json.Marshal of the decoded value,
// strings raw). Usage: go-bbolt-check DB FIXTURE.json...  Exit 1 on any difference.
// Built by tests/go_bbolt.rs in GOPATH mode against Debian's golang-github-coreos-bbolt-dev.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	bolt "go.etcd.io/bbolt"
)

type entry struct {
	Bucket string            `json:"bucket"`
	Key    string            `json:"key"`
	Value  interface{}       `json:"value"`
	Pairs  []json.RawMessage `json:"pairs"`
}

func walkFixture(path string, raw json.RawMessage, want map[string][]byte) {
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		panic(err)
	}
	if e.Bucket != "" {
		p := path + "/" + e.Bucket
		want[p+"/"] = nil
		for _, r := range e.Pairs {
			walkFixture(p, r, want)
		}
		return
	}
	var v []byte
	if s, ok := e.Value.(string); ok {
		v = []byte(s)
	} else {
		v, _ = json.Marshal(e.Value)
	}
	want[path+"/"+e.Key] = v
}

func walkBucket(path string, b *bolt.Bucket, got map[string][]byte) {
	got[path+"/"] = nil
	b.ForEach(func(k, v []byte) error {
		if v == nil {
			walkBucket(path+"/"+string(k), b.Bucket(k), got)
		} else {
			got[path+"/"+string(k)] = append([]byte(nil), v...)
		}
		return nil
	})
}

func main() {
	db, err := bolt.Open(os.Args[1], 0600, &bolt.Options{ReadOnly: true})
	if err != nil {
		panic(err)
	}
	want := map[string][]byte{}
	for _, f := range os.Args[2:] {
		data, _ := os.ReadFile(f)
		var top []json.RawMessage
		if err := json.Unmarshal(data, &top); err != nil {
			panic(err)
		}
		for _, r := range top {
			walkFixture("", r, want)
		}
	}
	got := map[string][]byte{}
	errs := 0
	db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			fmt.Println("CHECK:", e)
			errs++
		}
		tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			walkBucket("/"+string(name), b, got)
			return nil
		})
		fmt.Printf("pages=%d\n", tx.Size()/int64(db.Info().PageSize))
		return nil
	})
	keys := []string{}
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	diff := 0
	for _, k := range keys {
		if g, ok := got[k]; !ok || !bytes.Equal(g, want[k]) {
			diff++
			if diff < 5 {
				fmt.Printf("DIFF %s: got %q want %q\n", k, g, want[k])
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diff++
			fmt.Println("EXTRA", k)
		}
	}
	fmt.Printf("tx.Check errors=%d entries=%d diffs=%d\n", errs, len(want), diff)
	if errs+diff > 0 {
		os.Exit(1)
	}
}
