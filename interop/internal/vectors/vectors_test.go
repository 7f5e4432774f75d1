package vectors

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// TestStrict checks that the loader sees every top-level section of the file and that
// unknown fields are rejected, so no vector can be ignored by accident.
func TestStrict(t *testing.T) {
	f := Load(t)
	p, _ := Path()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var sections map[string]json.RawMessage
	if err := json.Unmarshal(raw, &sections); err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(*f)
	if len(sections) != typ.NumField() {
		t.Errorf("file has %d sections, loader knows %d", len(sections), typ.NumField())
	}
	if len(f.Checksum) == 0 || len(f.LogHash) == 0 || len(f.AccessListEncoding) == 0 ||
		len(f.ParseErrors.Cases) == 0 || len(f.ExecutingMessageEvent.DecodeErrors) == 0 ||
		len(f.Timing.Cases) == 0 {
		t.Error("a section decoded empty")
	}
	if _, err := Decode([]byte(`{"checksum":[{"name":"x","newField":1}]}`)); err == nil {
		t.Error("unknown field accepted")
	}
}
