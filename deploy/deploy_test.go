// Package deploy holds no Go code: its test parses the Kubernetes manifests (k8s/) and the compose
// file and checks their wiring — what a typo would break only at deploy time.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Only the fields the checks read; unknown fields are allowed (the manifests carry many more).
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       spec              `yaml:"spec"`
	file       string
}

type spec struct {
	Replicas *int `yaml:"replicas"`
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Template struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec podSpec `yaml:"spec"`
	} `yaml:"template"`
	// Service
	ServiceSelector map[string]string `yaml:"-"`
	Ports           []struct {
		Name       string `yaml:"name"`
		Port       int    `yaml:"port"`
		TargetPort any    `yaml:"targetPort"`
	} `yaml:"ports"`
	// HorizontalPodAutoscaler
	ScaleTargetRef struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Name       string `yaml:"name"`
	} `yaml:"scaleTargetRef"`
	MinReplicas int `yaml:"minReplicas"`
	MaxReplicas int `yaml:"maxReplicas"`
	// PodDisruptionBudget
	MinAvailable   *int `yaml:"minAvailable"`
	MaxUnavailable *int `yaml:"maxUnavailable"`
}

type podSpec struct {
	TerminationGracePeriodSeconds *int        `yaml:"terminationGracePeriodSeconds"`
	Containers                    []container `yaml:"containers"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	StartupProbe   *probe `yaml:"startupProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

// decodeAll reads every document of a multi-document YAML file.
func decodeAll(t *testing.T, path string) []object {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []object
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var raw map[string]any
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if raw == nil {
			continue
		}
		// Decode again into the typed view (a Service's selector is a plain map, a Deployment's is
		// matchLabels: read it separately).
		doc, _ := yaml.Marshal(raw)
		var o object
		if err := yaml.Unmarshal(doc, &o); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if o.Kind == "Service" {
			if sp, ok := raw["spec"].(map[string]any); ok {
				if sel, ok := sp["selector"].(map[string]any); ok {
					o.Spec.ServiceSelector = map[string]string{}
					for k, v := range sel {
						o.Spec.ServiceSelector[k], _ = v.(string)
					}
				}
			}
		}
		o.file = filepath.Base(path)
		out = append(out, o)
	}
	return out
}

// wantAPI is the API version each kind must use (the stable ones, served by every supported cluster).
var wantAPI = map[string]string{
	"Namespace": "v1", "ConfigMap": "v1", "Secret": "v1", "Service": "v1", "Job": "batch/v1",
	"Deployment": "apps/v1", "HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1",
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// sourceEnvNames collects every SKILLCERT_* name the Go code (not its tests) reads.
func sourceEnvNames(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`"(SKILLCERT_[A-Z0-9_]+)"`)
	names := map[string]bool{}
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "data" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			names[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestKubernetesManifests(t *testing.T) {
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var objs []object
	var kustom struct {
		Resources []string `yaml:"resources"`
		Images    []struct {
			Name string `yaml:"name"`
		} `yaml:"images"`
	}
	var listed []string
	for _, f := range files {
		switch filepath.Base(f) {
		case "kustomization.yaml":
			b, _ := os.ReadFile(f)
			if err := yaml.Unmarshal(b, &kustom); err != nil {
				t.Fatal(err)
			}
			continue
		case "secret.example.yaml": // created by the operator, not applied by the kustomization
		default:
			listed = append(listed, filepath.Base(f))
		}
		objs = append(objs, decodeAll(t, f)...)
	}
	// The kustomization applies exactly the manifests in the directory (but the Secret's example).
	res := slices.Clone(kustom.Resources)
	sort.Strings(res)
	sort.Strings(listed)
	if !slices.Equal(res, listed) {
		t.Errorf("kustomization resources %v, files %v", res, listed)
	}

	byKind := map[string][]object{}
	for _, o := range objs {
		if want, ok := wantAPI[o.Kind]; !ok {
			t.Errorf("%s: unexpected kind %q", o.file, o.Kind)
		} else if o.APIVersion != want {
			t.Errorf("%s: %s %s has apiVersion %q, want %q", o.file, o.Kind, o.Metadata.Name, o.APIVersion, want)
		}
		if o.Metadata.Name == "" {
			t.Errorf("%s: a %s without a name", o.file, o.Kind)
		}
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	one := func(kind string) object {
		t.Helper()
		if len(byKind[kind]) != 1 {
			t.Fatalf("want one %s, have %d", kind, len(byKind[kind]))
		}
		return byKind[kind][0]
	}
	secret, config := one("Secret"), one("ConfigMap")
	deployments := map[string]object{}
	for _, d := range byKind["Deployment"] {
		deployments[d.Metadata.Name] = d
	}
	source := sourceEnvNames(t)

	// Every variable the manifests set is one SkillCert reads, and the services it needs are there.
	for _, m := range []map[string]string{secret.StringData, config.Data} {
		for k := range m {
			if !source[k] {
				t.Errorf("%s sets %s, which no Go code reads", "the Secret/ConfigMap", k)
			}
		}
	}
	for _, k := range []string{"SKILLCERT_DATABASE_URL", "SKILLCERT_REDIS_URL", "SKILLCERT_REDIS_CLUSTER_ADDRS", "SKILLCERT_MASTER_KEY"} {
		if _, ok := secret.StringData[k]; !ok {
			t.Errorf("the Secret has no %s", k)
		}
	}
	shutdown, err := time.ParseDuration(config.Data["SKILLCERT_SHUTDOWN_TIMEOUT"])
	if err != nil {
		t.Fatalf("SKILLCERT_SHUTDOWN_TIMEOUT: %v", err)
	}

	roles := map[string]struct{ deployment, addrVar string }{
		"serve":  {"skillcert-serve", "SKILLCERT_ADDR"},
		"worker": {"skillcert-worker", "SKILLCERT_WORKER_ADDR"},
	}
	var images []string
	for role, w := range roles {
		d, ok := deployments[w.deployment]
		if !ok {
			t.Errorf("no Deployment %s", w.deployment)
			continue
		}
		pod := d.Spec.Template
		if !subset(d.Spec.Selector.MatchLabels, pod.Metadata.Labels) {
			t.Errorf("%s: selector %v does not match its pods' labels %v", d.Metadata.Name, d.Spec.Selector.MatchLabels, pod.Metadata.Labels)
		}
		if len(pod.Spec.Containers) != 1 {
			t.Fatalf("%s: want one container", d.Metadata.Name)
		}
		c := pod.Spec.Containers[0]
		images = append(images, c.Image)
		if len(c.Args) == 0 || c.Args[0] != role {
			t.Errorf("%s runs %v, want %s", d.Metadata.Name, c.Args, role)
		}
		var fromSecret, fromConfig bool
		for _, e := range c.EnvFrom {
			fromSecret = fromSecret || (e.SecretRef != nil && e.SecretRef.Name == secret.Metadata.Name)
			fromConfig = fromConfig || (e.ConfigMapRef != nil && e.ConfigMapRef.Name == config.Metadata.Name)
		}
		if !fromSecret || !fromConfig {
			t.Errorf("%s: env from Secret %v, from ConfigMap %v; want both", d.Metadata.Name, fromSecret, fromConfig)
		}
		// The process listens where the probes knock.
		ports := map[string]int{}
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
		var listen string
		for _, e := range c.Env {
			if !source[e.Name] {
				t.Errorf("%s sets %s, which no Go code reads", d.Metadata.Name, e.Name)
			}
			if e.Name == w.addrVar {
				listen = e.Value
			}
		}
		_, lport, err := net.SplitHostPort(listen)
		if err != nil {
			t.Errorf("%s: %s = %q", d.Metadata.Name, w.addrVar, listen)
		}
		for name, pr := range map[string]struct {
			p    *probe
			path string
		}{"startup": {c.StartupProbe, "/healthz"}, "liveness": {c.LivenessProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"}} {
			if pr.p == nil || pr.p.HTTPGet == nil {
				t.Errorf("%s: no %s probe", d.Metadata.Name, name)
				continue
			}
			if pr.p.HTTPGet.Path != pr.path {
				t.Errorf("%s: %s probe on %s, want %s", d.Metadata.Name, name, pr.p.HTTPGet.Path, pr.path)
			}
			port := 0
			switch v := pr.p.HTTPGet.Port.(type) {
			case string:
				port = ports[v]
			case int:
				port = v
			}
			if port == 0 || lport != itoa(port) {
				t.Errorf("%s: %s probe port %v is not where %s listens (%s)", d.Metadata.Name, name, pr.p.HTTPGet.Port, w.addrVar, listen)
			}
		}
		if g := pod.Spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= shutdown {
			t.Errorf("%s: terminationGracePeriodSeconds must exceed SKILLCERT_SHUTDOWN_TIMEOUT (%v)", d.Metadata.Name, shutdown)
		}
	}
	if len(kustom.Images) != 1 {
		t.Fatalf("kustomization images: %v", kustom.Images)
	}
	for _, img := range append(images, byKind["Job"][0].Spec.Template.Spec.Containers[0].Image) {
		if img != kustom.Images[0].Name {
			t.Errorf("image %q is not the kustomization's %q", img, kustom.Images[0].Name)
		}
	}
	if args := byKind["Job"][0].Spec.Template.Spec.Containers[0].Args; !slices.Equal(args, []string{"migrate", "up"}) {
		t.Errorf("the Job runs %v", args)
	}

	serve := deployments["skillcert-serve"]
	servePod := serve.Spec.Template
	// The Service sends traffic to serve's pods on the port serve listens on.
	var found bool
	for _, s := range byKind["Service"] {
		if !subset(s.Spec.ServiceSelector, servePod.Metadata.Labels) {
			continue
		}
		found = true
		for _, p := range s.Spec.Ports {
			name, _ := p.TargetPort.(string)
			if !slices.ContainsFunc(servePod.Spec.Containers[0].Ports, func(cp struct {
				Name          string `yaml:"name"`
				ContainerPort int    `yaml:"containerPort"`
			}) bool {
				return cp.Name == name
			}) {
				t.Errorf("Service %s targets port %v, which serve does not expose", s.Metadata.Name, p.TargetPort)
			}
		}
	}
	if !found {
		t.Error("no Service selects serve's pods")
	}
	for _, s := range byKind["Service"] {
		n := 0
		for _, d := range deployments {
			if subset(s.Spec.ServiceSelector, d.Spec.Template.Metadata.Labels) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("Service %s selects %d Deployments' pods, want 1", s.Metadata.Name, n)
		}
	}

	// The autoscaler moves serve, and never below what the disruption budget keeps.
	hpa := one("HorizontalPodAutoscaler")
	if r := hpa.Spec.ScaleTargetRef; r.Kind != "Deployment" || r.APIVersion != "apps/v1" || r.Name != serve.Metadata.Name {
		t.Errorf("the autoscaler targets %+v", r)
	}
	if hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas < hpa.Spec.MinReplicas {
		t.Errorf("autoscaler %d..%d", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
	}
	pdbFor := map[string]object{}
	for _, p := range byKind["PodDisruptionBudget"] {
		var hits []string
		for name, d := range deployments {
			if subset(p.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
				hits = append(hits, name)
			}
		}
		if len(hits) != 1 {
			t.Errorf("PodDisruptionBudget %s selects %v, want one Deployment", p.Metadata.Name, hits)
			continue
		}
		if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
			t.Errorf("PodDisruptionBudget %s needs exactly one of minAvailable and maxUnavailable", p.Metadata.Name)
		}
		pdbFor[hits[0]] = p
	}
	for name := range roles {
		if _, ok := pdbFor[roles[name].deployment]; !ok {
			t.Errorf("no PodDisruptionBudget for %s", roles[name].deployment)
		}
	}
	if p := pdbFor[serve.Metadata.Name]; p.Spec.MinAvailable != nil && *p.Spec.MinAvailable >= hpa.Spec.MinReplicas {
		t.Errorf("serve's budget keeps %d of at least %d replicas: a node could never be drained", *p.Spec.MinAvailable, hpa.Spec.MinReplicas)
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestComposeProfiles: the compose file's optional replica and Redis Cluster are profiles (off by
// default), and every SkillCert process gets the variables that switch them on.
func TestComposeProfiles(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Profiles    []string          `yaml:"profiles"`
			Command     any               `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	profiles := map[string][]string{}
	for name, s := range c.Services {
		for _, p := range s.Profiles {
			profiles[p] = append(profiles[p], name)
		}
	}
	for _, s := range []string{"postgres", "redis", "migrate", "serve", "worker", "proxy"} {
		if len(c.Services[s].Profiles) != 0 {
			t.Errorf("%s must run without a profile", s)
		}
	}
	if got := profiles["replica"]; !slices.Equal(got, []string{"postgres-replica"}) {
		t.Errorf("profile replica: %v", got)
	}
	nodes := profiles["redis-cluster"]
	sort.Strings(nodes)
	if len(nodes) != 7 || nodes[6] != "redis-node-6" || !slices.Contains(nodes, "redis-cluster-init") {
		t.Errorf("profile redis-cluster: %v (want six nodes and the init)", nodes)
	}
	if cmd, _ := c.Services["redis-node-1"].Command.([]any); len(cmd) != 3 || !strings.Contains(cmd[2].(string), "--cluster-enabled yes") {
		t.Errorf("redis-node-1 runs %v", c.Services["redis-node-1"].Command)
	}
	if cmd, _ := c.Services["postgres-replica"].Command.([]any); len(cmd) != 3 || !strings.Contains(cmd[2].(string), "pg_basebackup") {
		t.Errorf("postgres-replica runs %v", c.Services["postgres-replica"].Command)
	}
	source := sourceEnvNames(t)
	for _, s := range []string{"migrate", "serve", "worker"} {
		env := c.Services[s].Environment
		for _, k := range []string{"SKILLCERT_DATABASE_REPLICA_URLS", "SKILLCERT_REDIS_CLUSTER_ADDRS", "SKILLCERT_REDIS_PASSWORD"} {
			if _, ok := env[k]; !ok {
				t.Errorf("%s has no %s", s, k)
			}
		}
		for k := range env {
			if strings.HasPrefix(k, "SKILLCERT_") && !source[k] {
				t.Errorf("%s sets %s, which no Go code reads", s, k)
			}
		}
	}
}
