// Command render is an offline stand-in for `helm template` for the Abhra chart.
//
// Helm cannot be installed on the build machines, so this program re-implements the parts of
// Helm 3 (pkg/chart/loader, pkg/chartutil, pkg/engine, pkg/releaseutil) that `helm template`
// exercises for a chart without dependencies, with the same libraries Helm links:
// Go text/template, Masterminds/sprig v3 and a JSON-through YAML codec (ghodss/yaml, the
// ancestor of sigs.k8s.io/yaml, so numbers in values are float64 exactly as in Helm), and
// xeipuuv/gojsonschema for values.schema.json (the validator Helm used up to 3.14).
//
// Usage:
//
//	render [--name NAME] [--namespace NS] [-f values.yaml]... [--set a.b=c]...
//	       [--api-versions group/version]... [--kube-version v1.29.0] [--notes FILE] CHART_DIR
//
// Output: the manifests on stdout, each document preceded by "---" and
// "# Source: <chart>/templates/<file>", sorted in Helm's install order. Errors go to stderr
// prefixed with "Error: " and the exit status is 1.
//
// Build (GOPATH mode against Debian's packaged sources, no network):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o OUT ./helm/tools/render
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	sprig "github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
	"github.com/xeipuuv/gojsonschema"
)

// ---------------------------------------------------------------------------------------------
// Chart metadata (pkg/chart.Metadata): field names are what templates see as .Chart.X.

type Maintainer struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

type Dependency struct {
	Name       string `json:"name"`
	Version    string `json:"version,omitempty"`
	Repository string `json:"repository,omitempty"`
	Condition  string `json:"condition,omitempty"`
	Alias      string `json:"alias,omitempty"`
}

type Metadata struct {
	Name         string            `json:"name,omitempty"`
	Home         string            `json:"home,omitempty"`
	Sources      []string          `json:"sources,omitempty"`
	Version      string            `json:"version,omitempty"`
	Description  string            `json:"description,omitempty"`
	Keywords     []string          `json:"keywords,omitempty"`
	Maintainers  []*Maintainer     `json:"maintainers,omitempty"`
	Icon         string            `json:"icon,omitempty"`
	APIVersion   string            `json:"apiVersion,omitempty"`
	Condition    string            `json:"condition,omitempty"`
	Tags         string            `json:"tags,omitempty"`
	AppVersion   string            `json:"appVersion,omitempty"`
	Deprecated   bool              `json:"deprecated,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	KubeVersion  string            `json:"kubeVersion,omitempty"`
	Dependencies []*Dependency     `json:"dependencies,omitempty"`
	Type         string            `json:"type,omitempty"`
}

var chartNameRe = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// validate mirrors chart.Metadata.Validate.
func (m *Metadata) validate() error {
	if m.APIVersion == "" {
		return errors.New("validation: chart.metadata.apiVersion is required")
	}
	if m.APIVersion != "v1" && m.APIVersion != "v2" {
		return fmt.Errorf("validation: chart.metadata.apiVersion %q is not v1 or v2", m.APIVersion)
	}
	if m.Name == "" {
		return errors.New("validation: chart.metadata.name is required")
	}
	if !chartNameRe.MatchString(m.Name) {
		return fmt.Errorf("validation: chart.metadata.name %q is invalid", m.Name)
	}
	if m.Version == "" {
		return errors.New("validation: chart.metadata.version is required")
	}
	if _, err := semver.StrictNewVersion(m.Version); err != nil {
		return fmt.Errorf("validation: chart.metadata.version %q is invalid", m.Version)
	}
	if m.Type != "" && m.Type != "application" && m.Type != "library" {
		return errors.New("chart.metadata.type must be application or library")
	}
	if m.Type == "library" {
		return errors.New("library charts are not installable")
	}
	if len(m.Dependencies) > 0 {
		return errors.New("this renderer does not support chart dependencies")
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// Capabilities (pkg/chartutil.Capabilities).

type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

func (kv *KubeVersion) String() string     { return kv.Version }
func (kv *KubeVersion) GitVersion() string { return kv.Version }

type VersionSet []string

// Has reports whether the exact API version string (e.g. "apps/v1" or "apps/v1/Deployment")
// is known, as Helm's VersionSet.Has does.
func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type HelmVersion struct {
	Version      string
	GitCommit    string
	GitTreeState string
	GoVersion    string
}

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion HelmVersion
}

// defaultAPIVersions are the built-in group versions of a current Kubernetes (what Helm's
// DefaultVersionSet holds without a cluster). CRD groups such as monitoring.coreos.com/v1 are
// absent unless passed with --api-versions, as with `helm template`.
var defaultAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v1", "autoscaling/v2",
	"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
	"coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1",
	"admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "apiregistration.k8s.io/v1",
	"authentication.k8s.io/v1", "authorization.k8s.io/v1", "certificates.k8s.io/v1",
	"node.k8s.io/v1", "scheduling.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta3",
}

func parseKubeVersion(s string) (KubeVersion, error) {
	v, err := semver.NewVersion(s)
	if err != nil {
		return KubeVersion{}, fmt.Errorf("invalid kube version %q: %v", s, err)
	}
	return KubeVersion{
		Version: "v" + v.String(),
		Major:   strconv.FormatUint(v.Major(), 10),
		Minor:   strconv.FormatUint(v.Minor(), 10),
	}, nil
}

// ---------------------------------------------------------------------------------------------
// .Files (pkg/engine/files.go).

type Files map[string][]byte

func (f Files) GetBytes(name string) []byte { return f[name] }
func (f Files) Get(name string) string      { return string(f[name]) }

// Glob returns the files whose path matches pattern (gobwas/glob semantics with '/' as the
// separator: '*' stays within one path segment, '**' crosses segments).
func (f Files) Glob(pattern string) Files {
	re, err := globToRegexp(pattern)
	nf := Files{}
	if err != nil {
		return nf
	}
	for name, contents := range f {
		if re.MatchString(name) {
			nf[name] = contents
		}
	}
	return nf
}

// AsConfig renders the files as a YAML map from base name to contents (ConfigMap data).
func (f Files) AsConfig() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets renders the files as a YAML map from base name to base64 contents (Secret data).
func (f Files) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

func (f Files) Lines(name string) []string {
	if f == nil || f[name] == nil {
		return []string{}
	}
	return strings.Split(string(f[name]), "\n")
}

func globToRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	inAlt := 0
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '*':
			if i+1 < len(pattern) && pattern[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(pattern[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ in glob %q", pattern)
			}
			class := pattern[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case '{':
			inAlt++
			b.WriteString("(?:")
		case '}':
			if inAlt == 0 {
				return nil, fmt.Errorf("unbalanced } in glob %q", pattern)
			}
			inAlt--
			b.WriteString(")")
		case ',':
			if inAlt > 0 {
				b.WriteString("|")
			} else {
				b.WriteString(",")
			}
		case '\\':
			if i+1 < len(pattern) {
				i++
				b.WriteString(regexp.QuoteMeta(string(pattern[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if inAlt != 0 {
		return nil, fmt.Errorf("unbalanced { in glob %q", pattern)
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// ---------------------------------------------------------------------------------------------
// .helmignore (pkg/ignore), without '**'.

type ignoreRule struct {
	raw     string
	negate  bool
	mustDir bool
	full    bool // pattern contains '/': match the whole relative path
}

func parseHelmignore(data string) []ignoreRule {
	// Helm always adds this default rule.
	rules := []ignoreRule{{raw: "templates/.?*", full: true}}
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{}
		if strings.HasPrefix(line, "!") {
			r.negate = true
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.mustDir = true
			line = strings.TrimSuffix(line, "/")
		}
		line = strings.TrimPrefix(line, "/")
		r.full = strings.Contains(line, "/")
		r.raw = line
		rules = append(rules, r)
	}
	return rules
}

func (r ignoreRule) match(rel string) bool {
	target := rel
	if !r.full {
		target = path.Base(rel)
	}
	ok, _ := path.Match(r.raw, target)
	return ok
}

// ignored follows pkg/ignore.Rules.Ignore, including its treatment of negated rules.
func ignored(rules []ignoreRule, rel string, isDir bool) bool {
	if rel == "." || rel == "" {
		return false
	}
	for _, p := range rules {
		if p.negate {
			if p.mustDir && !isDir {
				return true
			}
			if !p.match(rel) {
				return true
			}
			continue
		}
		if p.mustDir && !isDir {
			continue
		}
		if p.match(rel) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------------------------
// Chart loading (pkg/chart/loader).

type Chart struct {
	Metadata  *Metadata
	Values    map[string]interface{}
	Schema    []byte
	Templates map[string]string // relative to the chart dir, e.g. "templates/x.yaml"
	Files     Files
}

func loadChart(dir string) (*Chart, error) {
	ch := &Chart{Templates: map[string]string{}, Files: Files{}}
	var rules []ignoreRule
	if data, err := os.ReadFile(filepath.Join(dir, ".helmignore")); err == nil {
		rules = parseHelmignore(string(data))
	} else {
		rules = parseHelmignore("")
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if ignored(rules, rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case rel == "Chart.yaml":
			j, err := yaml.YAMLToJSON(data)
			if err != nil {
				return fmt.Errorf("cannot load Chart.yaml: %v", err)
			}
			dec := json.NewDecoder(bytes.NewReader(j))
			dec.DisallowUnknownFields()
			md := &Metadata{}
			if err := dec.Decode(md); err != nil {
				return fmt.Errorf("cannot load Chart.yaml: %v", err)
			}
			ch.Metadata = md
		case rel == "values.yaml":
			v, err := readValues(data)
			if err != nil {
				return fmt.Errorf("cannot load values.yaml: %v", err)
			}
			ch.Values = v
		case rel == "values.schema.json":
			ch.Schema = data
		case rel == "requirements.yaml" || rel == "Chart.lock" || strings.HasPrefix(rel, "charts/"):
			return fmt.Errorf("%s: chart dependencies are not supported by this renderer", rel)
		case strings.HasPrefix(rel, "templates/"):
			ch.Templates[rel] = string(data)
		default:
			ch.Files[rel] = data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if ch.Metadata == nil {
		return nil, errors.New("Chart.yaml file is missing")
	}
	if err := ch.Metadata.validate(); err != nil {
		return nil, err
	}
	if ch.Values == nil {
		ch.Values = map[string]interface{}{}
	}
	return ch, nil
}

// readValues parses YAML through JSON, as sigs.k8s.io/yaml does: numbers become float64.
func readValues(data []byte) (map[string]interface{}, error) {
	var v map[string]interface{}
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if v == nil {
		v = map[string]interface{}{}
	}
	return v, nil
}

// ---------------------------------------------------------------------------------------------
// Values merging (pkg/cli/values.mergeMaps and pkg/chartutil.CoalesceValues).

func isTable(v interface{}) bool {
	_, ok := v.(map[string]interface{})
	return ok
}

// mergeMaps merges b over a: maps merge recursively, anything else in b replaces a.
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bv, ok := v.(map[string]interface{}); ok {
			if av, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(av, bv)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func deepCopy(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	default:
		return v
	}
}

// coalesce fills user values v with the chart defaults d. A user null deletes a default key;
// tables merge recursively; a user scalar wins over a default table (with a warning).
func coalesce(v, d map[string]interface{}, prefix string) {
	for key, dv := range d {
		uv, ok := v[key]
		if !ok {
			v[key] = deepCopy(dv)
			continue
		}
		if uv == nil {
			delete(v, key)
			continue
		}
		ut, uIs := uv.(map[string]interface{})
		dt, dIs := dv.(map[string]interface{})
		switch {
		case uIs && dIs:
			coalesce(ut, dt, prefix+key+".")
		case uIs != dIs && dv != nil:
			fmt.Fprintf(os.Stderr, "coalesce.go: warning: cannot overwrite table with non table for %s%s (%v)\n", prefix, key, dv)
		}
	}
}

// setValue applies one --set assignment "a.b.c=value" (no list indices, no escapes).
func setValue(vals map[string]interface{}, expr string) error {
	for _, part := range splitUnescaped(expr, ',') {
		eq := strings.IndexByte(part, '=')
		if eq <= 0 {
			return fmt.Errorf("key %q has no value", part)
		}
		keys := strings.Split(part[:eq], ".")
		raw := part[eq+1:]
		m := vals
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = typedVal(raw)
	}
	return nil
}

func splitUnescaped(s string, sep byte) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			cur.WriteByte(s[i+1])
			i++
			continue
		}
		if s[i] == sep {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(s[i])
	}
	return append(out, cur.String())
}

// typedVal follows pkg/strvals.typedVal.
func typedVal(val string) interface{} {
	switch strings.ToLower(val) {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if val == "0" {
		return int64(0)
	}
	if len(val) != 0 && val[0] != '0' {
		if iv, err := strconv.ParseInt(val, 10, 64); err == nil {
			return iv
		}
	}
	return val
}

// validateSchema mirrors chartutil.ValidateAgainstSchema for a chart without subcharts.
func validateSchema(chartName string, schema []byte, vals map[string]interface{}) error {
	if len(schema) == 0 {
		return nil
	}
	j, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	if bytes.Equal(j, []byte("null")) {
		j = []byte("{}")
	}
	res, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(j))
	if err != nil {
		return fmt.Errorf("values.schema.json: %v", err)
	}
	if res.Valid() {
		return nil
	}
	var sb strings.Builder
	for _, desc := range res.Errors() {
		sb.WriteString(fmt.Sprintf("- %s\n", desc))
	}
	return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n%s", chartName, sb.String())
}

// ---------------------------------------------------------------------------------------------
// Template functions (pkg/engine/funcs.go).

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(str string) []interface{} {
	a := []interface{}{}
	if err := yaml.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(str string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

// ---------------------------------------------------------------------------------------------
// Engine (pkg/engine/engine.go).

const recursionMaxNums = 1000

type engine struct {
	// all holds every template of the chart by full name ("abhra/templates/x.yaml").
	all map[string]string
}

// sortTemplates orders names deepest path first, then reverse lexical, as Helm does; later
// parses win when two files define the same named template.
func sortTemplates(names []string) []string {
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca == cb {
			return a > b
		}
		return ca > cb
	})
	return names
}

// newSet creates a template set with Helm's function map; include and tpl close over it.
func (e *engine) newSet() *template.Template {
	t := template.New("gotpl")
	t.Option("missingkey=zero")
	fm := template.FuncMap(sprig.TxtFuncMap())
	delete(fm, "env")
	delete(fm, "expandenv")
	fm["toToml"] = func(interface{}) (string, error) {
		return "", errors.New("toToml is not implemented by this renderer")
	}
	fm["toYaml"] = toYAML
	fm["fromYaml"] = fromYAML
	fm["fromYamlArray"] = fromYAMLArray
	fm["toJson"] = toJSON
	fm["fromJson"] = fromJSON
	fm["fromJsonArray"] = fromJSONArray
	fm["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	fm["getHostByName"] = func(string) string { return "" }
	included := map[string]int{}
	fm["include"] = func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		if included[name] > recursionMaxNums {
			return "", fmt.Errorf("unable to execute template: rendering template has a nested reference name: %s", name)
		}
		included[name]++
		err := t.ExecuteTemplate(&buf, name, data)
		included[name]--
		return buf.String(), err
	}
	fm["tpl"] = func(text string, vals map[string]interface{}) (string, error) {
		tmeta, _ := vals["Template"].(map[string]interface{})
		name, _ := tmeta["Name"].(string)
		if name == "" {
			return "", fmt.Errorf("cannot retrieve Template.Name from values inside tpl function: %s", text)
		}
		out, err := e.renderOne(name, text, vals)
		if err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
		}
		return out, nil
	}
	fm["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warn)
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warn)
		}
		return val, nil
	}
	fm["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	t.Funcs(fm)
	return t
}

// renderOne parses text under name, then every chart template not already present (Helm's
// renderWithReferences), and executes name.
func (e *engine) renderOne(name, text string, vals map[string]interface{}) (string, error) {
	t := e.newSet()
	if _, err := t.New(name).Parse(text); err != nil {
		return "", cleanupError(err)
	}
	for _, fn := range sortTemplates(keys(e.all)) {
		if t.Lookup(fn) == nil {
			if _, err := t.New(fn).Parse(e.all[fn]); err != nil {
				return "", cleanupError(err)
			}
		}
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, name, vals); err != nil {
		return "", cleanupError(err)
	}
	return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
}

// renderAll renders every template whose base name does not start with '_'.
func (e *engine) renderAll(vals map[string]interface{}, basePath string) (map[string]string, error) {
	t := e.newSet()
	names := sortTemplates(keys(e.all))
	for _, fn := range names {
		if _, err := t.New(fn).Parse(e.all[fn]); err != nil {
			return nil, cleanupError(err)
		}
	}
	out := map[string]string{}
	for _, fn := range names {
		if strings.HasPrefix(path.Base(fn), "_") {
			continue
		}
		vals["Template"] = map[string]interface{}{"Name": fn, "BasePath": basePath}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, fn, vals); err != nil {
			return nil, cleanupError(err)
		}
		out[fn] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

var execErrRe = regexp.MustCompile(`^template: (\S+?): executing "[^"]*" at <[^>]*>: error calling (?:required|fail): (.*)$`)

// cleanupError shortens required/fail errors to Helm's "execution error at (file:line:col): msg".
func cleanupError(err error) error {
	msg := err.Error()
	// Nested include errors repeat the prefix; the innermost required/fail message matters.
	if i := strings.LastIndex(msg, "template: "); i > 0 {
		if m := execErrRe.FindStringSubmatch(msg[i:]); m != nil {
			return fmt.Errorf("execution error at (%s): %s", m[1], m[2])
		}
	}
	if m := execErrRe.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("execution error at (%s): %s", m[1], m[2])
	}
	return err
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// Manifest splitting and ordering (pkg/releaseutil).

var sepRe = regexp.MustCompile("(?:^|\\s*\n)---\\s*")

func splitManifests(big string) []string {
	var out []string
	for _, d := range sepRe.Split(strings.TrimSpace(big), -1) {
		if d == "" {
			continue
		}
		out = append(out, strings.TrimSpace(d))
	}
	return out
}

var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService",
}

type manifest struct {
	source  string
	content string
	kind    string
}

type simpleHead struct {
	Version  string `json:"apiVersion"`
	Kind     string `json:"kind,omitempty"`
	Metadata *struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata,omitempty"`
}

func sortManifests(files map[string]string) ([]manifest, error) {
	var ms []manifest
	names := keys(files)
	sort.Strings(names)
	for _, fn := range names {
		c := files[fn]
		if strings.HasPrefix(path.Base(fn), "_") || strings.TrimSpace(c) == "" {
			continue
		}
		for _, doc := range splitManifests(c) {
			var head simpleHead
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return nil, fmt.Errorf("YAML parse error on %s: %v", fn, err)
			}
			if head.Metadata != nil && head.Metadata.Annotations["helm.sh/hook"] != "" {
				return nil, fmt.Errorf("%s: hooks are not supported by this renderer", fn)
			}
			ms = append(ms, manifest{source: fn, content: doc, kind: head.Kind})
		}
	}
	order := map[string]int{}
	for i, k := range installOrder {
		order[k] = i
	}
	sort.SliceStable(ms, func(i, j int) bool {
		a, aok := order[ms[i].kind]
		b, bok := order[ms[j].kind]
		switch {
		case !aok && !bok:
			return ms[i].kind < ms[j].kind
		case !aok:
			return false
		case !bok:
			return true
		}
		return a < b
	})
	return ms, nil
}

// ---------------------------------------------------------------------------------------------

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

var releaseNameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func run(args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	var valueFiles, sets, apiVersions multiFlag
	fs.Var(&valueFiles, "f", "values file (repeatable; later wins)")
	fs.Var(&valueFiles, "values", "values file (repeatable; later wins)")
	fs.Var(&sets, "set", "set a value: a.b=c (repeatable)")
	fs.Var(&apiVersions, "api-versions", "extra API version for .Capabilities.APIVersions (repeatable)")
	fs.Var(&apiVersions, "a", "short for --api-versions")
	name := fs.String("name", "release-name", "release name")
	namespace := fs.String("namespace", "default", "release namespace")
	kubeVersion := fs.String("kube-version", "v1.29.0", "Kubernetes version for .Capabilities.KubeVersion")
	notesOut := fs.String("notes", "", "write the rendered NOTES.txt to this file")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return errors.New("usage: render [flags] CHART_DIR")
	}
	chartDir := positional[0]
	if len(*name) > 53 || !releaseNameRe.MatchString(*name) {
		return fmt.Errorf("release name %q is invalid: at most 53 characters, lowercase DNS-1123", *name)
	}

	ch, err := loadChart(chartDir)
	if err != nil {
		return err
	}
	kv, err := parseKubeVersion(*kubeVersion)
	if err != nil {
		return err
	}
	if ch.Metadata.KubeVersion != "" {
		c, err := semver.NewConstraint(ch.Metadata.KubeVersion)
		if err != nil {
			return fmt.Errorf("invalid kubeVersion constraint %q in Chart.yaml: %v", ch.Metadata.KubeVersion, err)
		}
		v, _ := semver.NewVersion(kv.Version)
		if !c.Check(v) {
			return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", ch.Metadata.KubeVersion, kv.Version)
		}
	}

	user := map[string]interface{}{}
	for _, vf := range valueFiles {
		data, err := os.ReadFile(vf)
		if err != nil {
			return err
		}
		v, err := readValues(data)
		if err != nil {
			return fmt.Errorf("failed to parse %s: %v", vf, err)
		}
		user = mergeMaps(user, v)
	}
	for _, s := range sets {
		if err := setValue(user, s); err != nil {
			return fmt.Errorf("failed parsing --set data: %v", err)
		}
	}
	// As in Helm, --set integers stay int64 (values files give float64).
	vals := deepCopy(user).(map[string]interface{})
	coalesce(vals, ch.Values, "")
	if err := validateSchema(ch.Metadata.Name, ch.Schema, vals); err != nil {
		return err
	}

	caps := &Capabilities{
		KubeVersion: kv,
		APIVersions: append(VersionSet(append([]string{}, defaultAPIVersions...)), apiVersions...),
		HelmVersion: HelmVersion{Version: "v3.14.4-abhra-render", GoVersion: "go1.19"},
	}
	top := map[string]interface{}{
		"Values": vals,
		"Release": map[string]interface{}{
			"Name": *name, "Namespace": *namespace, "Revision": 1, "Service": "Helm",
			"IsUpgrade": false, "IsInstall": true,
		},
		"Chart":        ch.Metadata,
		"Capabilities": caps,
		"Files":        ch.Files,
		"Subcharts":    map[string]interface{}{},
	}
	e := &engine{all: map[string]string{}}
	for rel, text := range ch.Templates {
		e.all[path.Join(ch.Metadata.Name, rel)] = text
	}
	rendered, err := e.renderAll(top, path.Join(ch.Metadata.Name, "templates"))
	if err != nil {
		return err
	}
	notes := ""
	for fn, c := range rendered {
		if strings.HasSuffix(fn, "NOTES.txt") {
			if fn == path.Join(ch.Metadata.Name, "templates", "NOTES.txt") {
				notes = c
			}
			delete(rendered, fn)
		}
	}
	ms, err := sortManifests(rendered)
	if err != nil {
		return err
	}
	var out strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.source, m.content)
	}
	if _, err := os.Stdout.WriteString(out.String()); err != nil {
		return err
	}
	if *notesOut != "" {
		return os.WriteFile(*notesOut, []byte(notes), 0o644)
	}
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
}
