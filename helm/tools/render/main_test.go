package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestMergeMapsLaterWinsDeeply(t *testing.T) {
	a := map[string]interface{}{"x": map[string]interface{}{"a": 1.0, "b": 2.0}, "l": []interface{}{1.0}}
	b := map[string]interface{}{"x": map[string]interface{}{"b": 3.0}, "l": []interface{}{2.0, 3.0}}
	got := mergeMaps(a, b)
	want := map[string]interface{}{"x": map[string]interface{}{"a": 1.0, "b": 3.0}, "l": []interface{}{2.0, 3.0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mergeMaps = %v, want %v", got, want)
	}
}

func TestCoalesceNullDeletesDefaultAndTablesMerge(t *testing.T) {
	defaults := map[string]interface{}{
		"keep": "d", "drop": "d",
		"t": map[string]interface{}{"a": 1.0, "b": 2.0},
	}
	user := map[string]interface{}{"drop": nil, "t": map[string]interface{}{"b": 5.0}}
	coalesce(user, defaults, "")
	want := map[string]interface{}{"keep": "d", "t": map[string]interface{}{"a": 1.0, "b": 5.0}}
	if !reflect.DeepEqual(user, want) {
		t.Fatalf("coalesce = %v, want %v", user, want)
	}
	// Defaults must not be aliased into the result.
	user["t"].(map[string]interface{})["a"] = 9.0
	if defaults["t"].(map[string]interface{})["a"] != 1.0 {
		t.Fatal("coalesce aliased a default table")
	}
}

func TestReadValuesNumbersAreFloat64LikeHelm(t *testing.T) {
	// YAML 1.1 as in Helm: the key "n" would be the boolean false, so use "num".
	v, err := readValues([]byte("num: 3\nbig: 1000000\ns: '3'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v["num"].(float64); !ok {
		t.Fatalf("num is %T, want float64", v["num"])
	}
	if _, ok := v["s"].(string); !ok {
		t.Fatalf("s is %T, want string", v["s"])
	}
	if _, err := readValues([]byte("a: [1,\n")); err == nil {
		t.Fatal("broken YAML accepted")
	}
}

func TestTypedValFollowsStrvals(t *testing.T) {
	cases := map[string]interface{}{"true": true, "FALSE": false, "null": nil, "0": int64(0),
		"12": int64(12), "012": "012", "1.5": "1.5", "abc": "abc"}
	for in, want := range cases {
		if got := typedVal(in); got != want {
			t.Errorf("typedVal(%q) = %#v, want %#v", in, got, want)
		}
	}
	vals := map[string]interface{}{}
	if err := setValue(vals, "a.b=1,c=x"); err != nil {
		t.Fatal(err)
	}
	if vals["a"].(map[string]interface{})["b"] != int64(1) || vals["c"] != "x" {
		t.Fatalf("setValue = %v", vals)
	}
	if err := setValue(vals, "novalue"); err == nil {
		t.Fatal("--set without = accepted")
	}
}

func TestGlobSemantics(t *testing.T) {
	f := Files{"files/a.yaml": nil, "files/b.yml": nil, "files/sub/c.yaml": nil, "files/d.json": nil}
	names := func(fs Files) []string {
		var out []string
		for k := range fs {
			out = append(out, k)
		}
		return sortTemplates(out)
	}
	if got := len(f.Glob("files/*.yaml")); got != 1 {
		t.Errorf("* crossed a directory or missed: %v", names(f.Glob("files/*.yaml")))
	}
	if got := len(f.Glob("files/**.yaml")); got != 2 {
		t.Errorf("** = %v", names(f.Glob("files/**.yaml")))
	}
	if got := len(f.Glob("files/*.{yaml,yml}")); got != 2 {
		t.Errorf("{a,b} = %v", names(f.Glob("files/*.{yaml,yml}")))
	}
	if got := len(f.Glob("files/[ab].*")); got != 2 {
		t.Errorf("[ab] = %v", names(f.Glob("files/[ab].*")))
	}
}

func TestFilesAsConfigUsesBaseNamesAndBlockScalars(t *testing.T) {
	f := Files{"files/x/a.yaml": []byte("k: v\nl: 2\n")}
	got := f.AsConfig()
	if got != "a.yaml: |\n  k: v\n  l: 2" {
		t.Fatalf("AsConfig = %q", got)
	}
	if s := (Files{"f/t": []byte("hi")}).AsSecrets(); s != "t: aGk=" {
		t.Fatalf("AsSecrets = %q", s)
	}
}

func TestSplitManifestsDropsEmptyDocuments(t *testing.T) {
	// Helm's separator regexp; whitespace-only documents vanish, comment-only ones stay.
	docs := splitManifests("\n---\n# only a comment\n---\nkind: A\n---   \nkind: B\n---\n  \n")
	if len(docs) != 3 || docs[0] != "# only a comment" || docs[1] != "kind: A" || docs[2] != "kind: B" {
		t.Fatalf("split = %q", docs)
	}
}

func TestSortManifestsInstallOrderAndYAMLErrors(t *testing.T) {
	ms, err := sortManifests(map[string]string{
		"c/templates/a.yaml": "kind: StatefulSet\nmetadata: {name: s}\n---\nkind: Service\nmetadata: {name: x}",
		"c/templates/b.yaml": "kind: Zeta\n---\nkind: ConfigMap\nmetadata: {name: m}",
		"c/templates/_h.tpl": "kind: Ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range ms {
		kinds = append(kinds, m.kind)
	}
	if strings.Join(kinds, ",") != "ConfigMap,Service,StatefulSet,Zeta" {
		t.Fatalf("order = %v", kinds)
	}
	if _, err := sortManifests(map[string]string{"c/templates/x.yaml": "a: [1,"}); err == nil ||
		!strings.Contains(err.Error(), "YAML parse error on c/templates/x.yaml") {
		t.Fatalf("err = %v", err)
	}
}

func TestEngineIncludeTplRequiredAndMissingKeys(t *testing.T) {
	e := &engine{all: map[string]string{
		"c/templates/_h.tpl":   `{{- define "c.name" -}}{{ .Values.name | default "dflt" }}{{- end -}}`,
		"c/templates/a.yaml":   `n: {{ include "c.name" . }} m: {{ .Values.missing }} t: {{ tpl .Values.t . }}`,
		"c/templates/req.yaml": `{{ if .Values.needReq }}{{ required "need x!" .Values.x }}{{ end }}`,
	}}
	vals := map[string]interface{}{"Values": map[string]interface{}{"name": "abhra", "t": `{{ .Values.name | upper }}`}}
	out, err := e.renderAll(vals, "c/templates")
	if err != nil {
		t.Fatal(err)
	}
	if out["c/templates/a.yaml"] != "n: abhra m:  t: ABHRA" {
		t.Fatalf("a.yaml = %q", out["c/templates/a.yaml"])
	}
	if _, ok := out["c/templates/_h.tpl"]; ok {
		t.Fatal("partial rendered")
	}
	vals["Values"].(map[string]interface{})["needReq"] = true
	_, err = e.renderAll(vals, "c/templates")
	if err == nil || !strings.Contains(err.Error(), "execution error at (c/templates/req.yaml:1:") ||
		!strings.Contains(err.Error(), "need x!") {
		t.Fatalf("required error = %v", err)
	}
}

func TestSchemaErrorsLikeHelm(t *testing.T) {
	schema := []byte(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
	  "properties":{"n":{"type":"integer"}},"additionalProperties":false}`)
	var ok map[string]interface{}
	_ = json.Unmarshal([]byte(`{"n": 2}`), &ok)
	if err := validateSchema("c", schema, ok); err != nil {
		t.Fatalf("valid values rejected: %v", err)
	}
	err := validateSchema("c", schema, map[string]interface{}{"n": "x", "extra": 1.0})
	if err == nil {
		t.Fatal("invalid values accepted")
	}
	msg := err.Error()
	for _, want := range []string{"values don't meet the specifications of the schema(s) in the following chart(s):\nc:\n",
		"- n: Invalid type. Expected: integer, given: string", "Additional property extra is not allowed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("schema error %q lacks %q", msg, want)
		}
	}
}

func TestLoadChartRejectsUnknownChartYamlKeysAndBadVersion(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\nbogus: 1\n")
	if _, err := loadChart(dir); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("unknown key: err = %v", err)
	}
	write("Chart.yaml", "apiVersion: v2\nname: c\nversion: one\n")
	if _, err := loadChart(dir); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("bad version: err = %v", err)
	}
	write("Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	write("templates/x.yaml", "kind: A")
	write("templates/.hidden.yaml", "kind: B")
	write("files/a.txt", "x")
	write("x.swp", "x")
	write(".helmignore", "*.swp\n")
	ch, err := loadChart(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Templates) != 1 || ch.Files["files/a.txt"] == nil || ch.Files["x.swp"] != nil {
		t.Fatalf("templates=%v files=%v", ch.Templates, ch.Files)
	}
}
