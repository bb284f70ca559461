package api

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strings"
)

// renderDocs renders the document as one HTML page: operations grouped by
// tag, then the schemas and the error responses. It needs no network: no
// scripts, and the styles are inline.
func renderDocs(doc *document) ([]byte, error) {
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, newDocsPage(doc)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type docsPage struct {
	Title, Version string
	Intro          []template.HTML
	Groups         []docsGroup
	Schemas        []docsSchema
	Errors         []docsResponse
}

type docsGroup struct {
	Name, Description string
	Ops               []docsOp
}

type docsOp struct {
	Method, Path, Anchor, Summary, Auth string
	Description                         template.HTML
	Params                              []docsField
	Body                                *docsBody
	Responses                           []docsResponse
}

type docsField struct {
	Name, In, Description string
	Type                  template.HTML
	Required              bool
}

type docsBody struct {
	ContentType string
	Type        template.HTML
	Schema      *docsSchema // the referenced schema, shown inline
}

type docsResponse struct {
	Status, Description string
	Type                template.HTML
	Headers             []string
}

type docsSchema struct {
	Name, Description string
	Props             []docsField
	Notes             []string
}

func newDocsPage(doc *document) docsPage {
	page := docsPage{Title: doc.Info.Title, Version: doc.Info.Version}
	for _, p := range strings.Split(doc.Info.Description, "\n\n") {
		page.Intro = append(page.Intro, inlineCode(p))
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, tag := range doc.Tags {
		g := docsGroup{Name: tag.Name, Description: tag.Description}
		for _, path := range paths {
			for _, m := range doc.Paths[path].operations() {
				if len(m.Op.Tags) > 0 && m.Op.Tags[0] == tag.Name {
					g.Ops = append(g.Ops, newDocsOp(doc, m.Method, path, m.Op))
				}
			}
		}
		page.Groups = append(page.Groups, g)
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		page.Schemas = append(page.Schemas, newDocsSchema(name, doc.Components.Schemas[name]))
	}
	statuses := make([]int, 0, len(errorStatus))
	for status := range errorStatus {
		statuses = append(statuses, status)
	}
	sort.Ints(statuses)
	for _, status := range statuses {
		name := errorStatus[status]
		page.Errors = append(page.Errors, newDocsResponse(doc, fmt.Sprintf("%d %s", status, name), doc.Components.Responses[name]))
	}
	return page
}

func newDocsOp(doc *document, method, path string, op *operation) docsOp {
	o := docsOp{Method: method, Path: path, Anchor: op.OperationID, Summary: op.Summary,
		Description: inlineCode(op.Description), Auth: authText(op.Security)}
	for _, p := range op.Parameters {
		o.Params = append(o.Params, docsField{Name: p.Name, In: p.In, Description: p.Description,
			Type: typeHTML(p.Schema), Required: p.Required})
	}
	if b := op.RequestBody; b != nil {
		for _, ct := range sortedKeys(b.Content) {
			sch := b.Content[ct].Schema
			o.Body = &docsBody{ContentType: ct, Type: typeHTML(sch)}
			if name, ok := strings.CutPrefix(sch.Ref, "#/components/schemas/"); ok {
				d := newDocsSchema(name, doc.Components.Schemas[name])
				o.Body.Schema = &d
			}
		}
	}
	for _, status := range sortedKeys(op.Responses) {
		o.Responses = append(o.Responses, newDocsResponse(doc, status, op.Responses[status]))
	}
	return o
}

func newDocsResponse(doc *document, status string, r *response) docsResponse {
	if name, ok := strings.CutPrefix(r.Ref, "#/components/responses/"); ok {
		r = doc.Components.Responses[name]
	}
	out := docsResponse{Status: status, Description: r.Description}
	for _, ct := range sortedKeys(r.Content) {
		out.Type = template.HTML(template.HTMLEscapeString(ct)+": ") + typeHTML(r.Content[ct].Schema)
	}
	for _, h := range sortedKeys(r.Headers) {
		out.Headers = append(out.Headers, h)
	}
	return out
}

func newDocsSchema(name string, s *schema) docsSchema {
	d := docsSchema{Name: name, Description: s.Description}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	for _, p := range sortedKeys(s.Properties) {
		ps := s.Properties[p]
		d.Props = append(d.Props, docsField{Name: p, Type: typeHTML(ps), Required: required[p], Description: ps.Description})
	}
	sort.SliceStable(d.Props, func(i, j int) bool { return d.Props[i].Required && !d.Props[j].Required })
	if s.AdditionalProperties == false {
		d.Notes = append(d.Notes, "Unknown fields are refused.")
	}
	if s.MinProperties != nil {
		d.Notes = append(d.Notes, fmt.Sprintf("At least %d field.", *s.MinProperties))
	}
	if len(s.OneOf) > 0 {
		var alts []string
		for _, alt := range s.OneOf {
			alts = append(alts, strings.Join(alt.Required, " and "))
		}
		d.Notes = append(d.Notes, "Give exactly one of "+strings.Join(alts, " or ")+".")
	}
	return d
}

func authText(sec []map[string][]string) string {
	switch {
	case len(sec) == 0:
		return "none"
	case len(sec[0]) == 0:
		return "optional: Bearer or apikey, required when MODEL_REGISTRY_REQUIRE_AUTH_READS=true"
	}
	return "required: Bearer or apikey"
}

// typeHTML describes a schema in a line: its type, constraints and allowed
// values, with references linked to their schema.
func typeHTML(s *schema) template.HTML {
	if s == nil {
		return ""
	}
	esc := template.HTMLEscapeString
	if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
		return template.HTML(`<a href="#schema-` + esc(name) + `">` + esc(name) + `</a>`)
	}
	var b strings.Builder
	switch t := s.Type.(type) {
	case string:
		b.WriteString(esc(t))
	case []string:
		b.WriteString(esc(strings.Join(t, " or ")))
	}
	if s.Format != "" {
		b.WriteString(" (" + esc(s.Format) + ")")
	}
	if s.Items != nil {
		b.WriteString(" of " + string(typeHTML(s.Items)))
	}
	if ap, ok := s.AdditionalProperties.(*schema); ok {
		b.WriteString(" of " + string(typeHTML(ap)))
	}
	var notes []string
	if s.Enum != nil {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = fmt.Sprint(v)
			if v == nil {
				vals[i] = "null"
			}
		}
		notes = append(notes, "one of "+strings.Join(vals, ", "))
	}
	if s.Minimum != nil || s.Maximum != nil {
		notes = append(notes, rangeText(s.Minimum, s.Maximum))
	}
	if s.MinLength != nil || s.MaxLength != nil {
		notes = append(notes, "length "+rangeText(intf(s.MinLength), intf(s.MaxLength)))
	}
	if s.MaxItems != nil {
		notes = append(notes, fmt.Sprintf("at most %d items", *s.MaxItems))
	}
	if s.Pattern != "" {
		notes = append(notes, "pattern "+s.Pattern)
	}
	if s.Default != nil {
		notes = append(notes, fmt.Sprintf("default %v", s.Default))
	}
	if len(notes) > 0 {
		b.WriteString(`<span class="note">; ` + esc(strings.Join(notes, "; ")) + `</span>`)
	}
	return template.HTML(b.String())
}

func intf(n *int) *float64 {
	if n == nil {
		return nil
	}
	f := float64(*n)
	return &f
}

func rangeText(min, max *float64) string {
	switch {
	case min != nil && max != nil:
		return fmt.Sprintf("%g..%g", *min, *max)
	case min != nil:
		return fmt.Sprintf("≥ %g", *min)
	}
	return fmt.Sprintf("≤ %g", *max)
}

// inlineCode escapes s and turns `spans` into <code>.
func inlineCode(s string) template.HTML {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		p = template.HTMLEscapeString(p)
		if i%2 == 1 && i < len(parts)-1 {
			p = "<code>" + p + "</code>"
		} else if i%2 == 1 {
			p = "`" + p
		}
		b.WriteString(p)
	}
	return template.HTML(b.String())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{"lower": strings.ToLower}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} API</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#f6f7f9}
main{max-width:1080px;margin:0 auto;padding:1.5rem 2rem 4rem;background:#fff}
h1{margin:.2rem 0 1rem}h2{margin-top:2.5rem;border-bottom:2px solid #dde1e7;padding-bottom:.3rem}
h3{margin:0;font-size:1rem;font-weight:600}
code,.path,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
code{background:#eef1f5;padding:0 .25em;border-radius:3px}
nav ul{columns:2;padding-left:1.2rem}
section.op{border:1px solid #dde1e7;border-radius:6px;margin:1rem 0;padding:.8rem 1rem}
.head{display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap}
.method{font-weight:700;font-size:.8rem;color:#fff;padding:.1rem .5rem;border-radius:4px;min-width:3.6rem;text-align:center}
.get{background:#2f6fb3}.post{background:#2e8b57}.put{background:#b7791f}.patch{background:#8a5cc2}.delete{background:#c53030}
.summary{color:#4a5466}.auth{font-size:.85rem;color:#5a6578;margin:.3rem 0}
table{border-collapse:collapse;width:100%;margin:.4rem 0;font-size:.9rem}
th,td{text-align:left;vertical-align:top;border-top:1px solid #e6e9ee;padding:.3rem .5rem}
th{color:#5a6578;font-weight:600;border-top:none}
.note{color:#5a6578}.req{color:#c53030;font-size:.8rem}
h4{margin:.7rem 0 .1rem;font-size:.85rem;text-transform:uppercase;letter-spacing:.04em;color:#5a6578}
</style>
</head>
<body>
<main>
<h1>{{.Title}} API <small class="note">{{.Version}}</small></h1>
{{range .Intro}}<p>{{.}}</p>
{{end}}<p>The machine-readable document is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<nav><ul>
{{range .Groups}}<li><a href="#tag-{{.Name}}">{{.Name}}</a>: {{.Description}}</li>
{{end}}<li><a href="#schemas">schemas</a> and <a href="#errors">errors</a></li>
</ul></nav>
{{range .Groups}}
<h2 id="tag-{{.Name}}">{{.Name}}</h2>
<p>{{.Description}}</p>
{{range .Ops}}<section class="op" id="op-{{.Anchor}}">
<div class="head"><span class="method {{lower .Method}}">{{.Method}}</span><h3 class="path">{{.Path}}</h3><span class="summary">{{.Summary}}</span></div>
{{if .Description}}<p>{{.Description}}</p>{{end}}
<div class="auth">Key: {{.Auth}}</div>
{{if .Params}}<h4>Parameters</h4>
<table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>
{{range .Params}}<tr><td class="mono">{{.Name}}{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</table>{{end}}
{{with .Body}}<h4>Request body</h4>
<p><span class="mono">{{.ContentType}}</span>: {{.Type}}{{with .Schema}}{{if .Description}}. {{.Description}}{{end}}{{end}}</p>
{{with .Schema}}{{template "fields" .}}{{end}}{{end}}
<h4>Responses</h4>
<table><tr><th>status</th><th>description</th><th>body</th></tr>
{{range .Responses}}<tr><td class="mono">{{.Status}}</td><td>{{.Description}}{{if .Headers}} <span class="note">Headers: {{range $i, $h := .Headers}}{{if $i}}, {{end}}{{$h}}{{end}}.</span>{{end}}</td><td>{{.Type}}</td></tr>
{{end}}</table>
</section>
{{end}}{{end}}
<h2 id="schemas">Schemas</h2>
{{range .Schemas}}<section class="op" id="schema-{{.Name}}">
<h3 class="path">{{.Name}}</h3>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{template "fields" .}}
</section>
{{end}}
<h2 id="errors">Error responses</h2>
<p>Every error answers the <a href="#schema-Error">Error</a> envelope.</p>
<table><tr><th>status</th><th>description</th><th>body</th></tr>
{{range .Errors}}<tr><td class="mono">{{.Status}}</td><td>{{.Description}}</td><td>{{.Type}}</td></tr>
{{end}}</table>
</main>
</body>
</html>
{{define "fields"}}{{if .Props}}<table><tr><th>field</th><th>type</th><th>description</th></tr>
{{range .Props}}<tr><td class="mono">{{.Name}}{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</table>{{end}}
{{range .Notes}}<p class="note">{{.}}</p>{{end}}{{end}}`))
