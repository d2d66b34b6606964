#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Metrics end to end: two runners as two "nodes", scraped by a real
Prometheus (Debian's), queried with PromQL through its HTTP API.

One server namespace (dnsmasq) is joined to two client namespaces, one per
node.  Each runner (NODE_NAME node-a / node-b) keeps only the events of its
own client namespace (-F netns_id==...), prints them as JSON and serves
/metrics.  After a known number of dig queries per client, type and rcode,
PromQL returns exactly those counts summed across nodes, and the median
latency from the histogram is what the events' latencies give.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, WAIT, Fail, Netns, Runner, check, eq,  # noqa: E402
                     PRIVATE_MOUNTS, link, main, sh, test, wakeups)
import gadget_env  # noqa: E402
from gadget_env import run_sync, usage_error, wait_until  # noqa: E402

NS = f"mtr{os.getpid()}"
SRV_A, CLI_A = "10.79.1.1", "10.79.1.2"
SRV_B, CLI_B = "10.79.2.1", "10.79.2.2"
WEB = "10.79.9.9"
# the histogram boundaries trace_dns's gadget.yaml declares
BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
# (name, qtype) -> dig count, per node; rcode follows from the name
PLAN = {
    "node-a": {("web.test", "A"): 3, ("nx.test", "A"): 2,
               ("web.test", "AAAA"): 1},
    "node-b": {("web.test", "A"): 2, ("nx.test", "A"): 4},
}
# dnsmasq has only an IPv4 address for web.test: AAAA is refused
RCODE = {("web.test", "A"): "Success", ("nx.test", "A"): "NameError",
         ("web.test", "AAAA"): "Refused"}


class Env:
    pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def metrics_runner(args, **kw):
    """Runner(args) serving /metrics on 127.0.0.1:PORT, a free port: on
    another one when another process (another test) took PORT between
    free_port() and the runner's listen().  (runner, PORT)."""
    for _ in range(10):
        port = free_port()
        try:
            return Runner(args + ["--otel-metrics-listen-address",
                                  f"127.0.0.1:{port}"], **kw), port
        except Fail as e:
            if "Address already in use" not in str(e):
                raise
    raise Fail("no port of 10 stayed free for the runner's /metrics")


def http_get(url, headers=None, timeout=WAIT):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.headers, resp.read().decode()


def start_prometheus(env, targets):
    """Prometheus with its own config and storage, scraping targets
    ({node: port}) every second, listening on a port the kernel chose
    (port 0: none another test can take first), read back from its log;
    returns its base URL once ready."""
    conf = os.path.join(env.tmp, "prometheus.yml")
    with open(conf, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n"
                "  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: runner\n"
                "    static_configs:\n")
        for node, p in targets.items():
            f.write(f"      - targets: ['127.0.0.1:{p}']\n"
                    f"        labels: {{node: {node}}}\n")
    logpath = os.path.join(env.tmp, "prometheus.log")
    with open(logpath, "w") as log:
        p = subprocess.Popen(["prometheus", f"--config.file={conf}",
                              f"--storage.tsdb.path={env.tmp}/tsdb",
                              "--web.listen-address=127.0.0.1:0"],
                             stdout=log, stderr=log)
    env.procs.append(p)

    def running():
        if p.poll() is not None:
            with open(logpath) as f:
                raise Fail(f"prometheus exited {p.returncode}: "
                           f"{f.read().strip()[-300:]}")
        return True

    def listening():  # its line msg="Listening on" address=127.0.0.1:PORT
        running()
        with open(logpath) as f:
            m = re.search(r'msg="Listening on" address=127\.0\.0\.1:(\d+)',
                          f.read())
        return m and f"http://127.0.0.1:{m[1]}"
    url = wait_until(listening, what="prometheus listening")

    def ready():
        running()
        try:
            return http_get(url + "/-/ready")[0] == 200
        except OSError:
            return False
    wait_until(ready, what="prometheus ready")
    return url


def promql(env, query):
    """The instant vector of query: [(labels, value)]."""
    q = urllib.parse.urlencode({"query": query})
    _, _, body = http_get(f"{env.prom}/api/v1/query?{q}")
    doc = json.loads(body)
    eq(doc.get("status"), "success", f"PromQL {query}")
    return [(r["metric"], float(r["value"][1]))
            for r in doc["data"]["result"]]


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="metrics-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.procs, env.nss, env.runners = [], [], {}
    try:
        sh(f"{RUNNER} image build {ROOT}/gadget/trace_dns -t trace_dns:latest"
           f" --store {env.store}")
        env.srv = Netns(f"{NS}-srv")
        env.cli = {"node-a": Netns(f"{NS}-a"), "node-b": Netns(f"{NS}-b")}
        env.nss += [env.srv] + list(env.cli.values())
        link(env.cli["node-a"], env.srv, [f"{CLI_A}/24"], [f"{SRV_A}/24"],
             name="mtra")
        link(env.cli["node-b"], env.srv, [f"{CLI_B}/24"], [f"{SRV_B}/24"],
             name="mtrb")
        pidfile = os.path.join(env.tmp, "dnsmasq.pid")
        dm = env.srv.popen(
            "dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces"
            f" --listen-address={SRV_A},{SRV_B} --pid-file={pidfile}"
            f" --address=/web.test/{WEB} --address=/nx.test/",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env.procs.append(dm)
        gadget_env.tdns.wait_port(env.srv, SRV_A, dm)
        env.server = {"node-a": SRV_A, "node-b": SRV_B}
        env.ports = {}
        for node, ns in env.cli.items():
            env.runners[node], env.ports[node] = metrics_runner(
                ["run", "trace_dns", "-o", "json", "--store", env.store,
                 "-F", f"netns_id=={ns.inode()}", "--otel-metrics-listen"],
                env={"NODE_NAME": node})
        env.prom = start_prometheus(env, env.ports)
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    for r in env.runners.values():
        r.stop()
    for p in env.procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    for ns in env.nss:
        ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


def dig(ns, server, name, qtype):
    out = ns.run(f"dig +time=2 +tries=1 @{server} {name} {qtype}")
    check("status:" in out, f"dig {name} {qtype}: no answer: {out[-300:]}")


def counts(evs):
    """{(qr, qtype, rcode): n} of JSON events."""
    c = {}
    for e in evs:
        k = (e["qr"], e["qtype"], e["rcode"])
        c[k] = c.get(k, 0) + 1
    return c


def expected(nodes):
    want = {}
    for node in nodes:
        for (name, qtype), n in PLAN[node].items():
            for k in (("Q", qtype, ""), ("R", qtype, RCODE[name, qtype])):
                want[k] = want.get(k, 0) + n
    return want


def quantile_of(latencies, q):
    """What histogram_quantile(q, ...) gives for these observations with
    BOUNDS: linear interpolation inside the bucket where the rank falls."""
    cum, below = [], 0
    for b in BOUNDS:
        below = sum(1 for x in latencies if x <= b)
        cum.append(below)
    rank = q * len(latencies)
    for i, c in enumerate(cum):
        if c >= rank:
            lo = BOUNDS[i - 1] if i else 0.0
            prev = cum[i - 1] if i else 0
            return lo + (BOUNDS[i] - lo) * (rank - prev) / (c - prev)
    return BOUNDS[-1]


@test
def prometheus_sums_two_nodes(env):
    for node, plan in PLAN.items():
        for (name, qtype), n in plan.items():
            for _ in range(n):
                dig(env.cli[node], env.server[node], name, qtype)
    want = expected(PLAN)
    total = sum(want.values())

    # every event of both nodes, then the same counts through Prometheus
    evs = {}
    for node, r in env.runners.items():
        n = sum(expected([node]).values())
        evs[node] = gadget_env.wait_json(r, lambda e: True, n=n)
        eq(counts(evs[node]), expected([node]), f"{node} events")

    last = []

    def scraped():
        last[:] = promql(env, "sum(dns_messages_total)")
        return last and last[0][1] == total
    try:
        wait_until(scraped, what="prometheus scrape", step=0.5)
    except Fail:
        raise Fail(f"sum(dns_messages_total) is {last}, want {total}")

    got = {(m.get("qr", ""), m.get("qtype", ""), m.get("rcode", "")): v
           for m, v in promql(env, "sum by (qr, qtype, rcode) "
                              "(dns_messages_total)")}
    eq(got, {k: float(v) for k, v in want.items()}, "counts across nodes")
    for node in PLAN:
        got = {(m["qr"], m["qtype"], m.get("rcode", "")): v
               for m, v in promql(env, "sum by (qr, qtype, rcode) "
                                  f"(dns_messages_total{{node='{node}'}})")}
        eq(got, {k: float(v) for k, v in expected([node]).items()},
           f"{node} counts")
    nx = promql(env, "sum(dns_messages_total{qr='R', rcode='NameError'})")
    eq(nx[0][1], 6.0, "NXDOMAIN responses")

    # the median latency from the histogram is the one the events give
    lat = [e["latency_ns_raw"] / 1e9 for node in evs for e in evs[node]
           if e["qr"] == "R"]
    check(all(x > 0 for x in lat), f"every response has a latency: {lat}")
    eq(len(lat), total // 2, "responses with a latency")
    hc = promql(env, "sum(dns_response_latency_seconds_count)")
    eq(hc[0][1], float(len(lat)), "histogram count")
    med = promql(env, "histogram_quantile(0.5, sum by (le) "
                 "(dns_response_latency_seconds_bucket))")
    eq(len(med), 1, "one median")
    got, want_med = med[0][1], quantile_of(lat, 0.5)
    check(abs(got - want_med) <= 1e-9 + 1e-6 * want_med,
          f"median latency {got} s, want {want_med} s from the events")
    lo = max([0] + [b for b in BOUNDS if b < min(lat)])
    hi = min(b for b in BOUNDS if b >= max(lat))
    check(lo <= got <= hi, f"median {got} outside [{lo}, {hi}] of events")
    s = promql(env, "sum(dns_response_latency_seconds_sum)")
    check(abs(s[0][1] - sum(lat)) < 1e-6, f"latency sum {s[0][1]} vs "
          f"{sum(lat)} of the events")


@test
def text_format_metrics_only_and_series_cap(env):
    """-o none: no events on stdout, metrics still counted; the plain
    text format without an Accept header; a cap of 2 key sets sends the
    rest to the overflow series and says so once."""
    ns = env.cli["node-a"]
    r, port = metrics_runner(
        ["run", "trace_dns", "-o", "none", "--store", env.store,
         "-F", f"netns_id=={ns.inode()}", "--otel-metrics-listen",
         "--otel-metrics-max-series", "2", "--otel-metrics-name",
         "dns:nodeA"])
    try:
        dig(ns, SRV_A, "web.test", "A")  # Q/A, R/A/Success: the 2 sets
        dig(ns, SRV_A, "nx.test", "A")  # R/A/NameError: overflow
        dig(ns, SRV_A, "web.test", "AAAA")  # Q/AAAA, R/AAAA: overflow
        url = f"http://127.0.0.1:{port}/metrics"
        body = {}

        def counted():
            st, hdr, body["text"] = http_get(url)
            body["type"] = hdr["Content-Type"]
            return "_total{otel_metric_overflow=\"true\"" in body["text"] \
                and 'overflow="true",otel_scope_name="nodeA"} 3' \
                in body["text"]
        try:
            wait_until(counted, what="overflow counted")
        except Fail:
            raise Fail(f"/metrics: {body.get('text', '')[:1500]}")
        check(body["type"].startswith("text/plain; version=0.0.4"),
              f"Content-Type {body['type']}")
        lines = body["text"].splitlines()
        # Prometheus's own linter parses it: no error; the only remark is
        # ig's camelCase field name in a label
        lint = subprocess.run(["promtool", "check", "metrics"],
                              input=body["text"], capture_output=True,
                              text=True)
        check(lint.returncode in (0, 3), f"promtool: {lint.stderr}")
        remarks = [x for x in (lint.stdout + lint.stderr).splitlines()
                   if x.strip() and "snake_case" not in x]
        eq(remarks, [], "promtool remarks")
        check("# TYPE dns_messages_total counter" in lines,
              "text format: counter family named with _total")
        for want in ('dns_messages_total{qr="Q",qtype="A",rcode="",'
                     'unanswered="false",runtime_containerName="",k8s_namespace="",'
                     'k8s_podName="",otel_scope_name="nodeA"} 2',
                     'dns_messages_total{qr="R",qtype="A",rcode="Success",'
                     'unanswered="false",runtime_containerName="",k8s_namespace="",'
                     'k8s_podName="",otel_scope_name="nodeA"} 1'):
            check(want in lines, f"{want!r} not in {lines[:6]}")
        _, hdr, om = http_get(url, {"Accept": "application/openmetrics-text;"
                                    "version=1.0.0"})
        check(hdr["Content-Type"].startswith("application/openmetrics-text"),
              f"OpenMetrics Content-Type {hdr['Content-Type']}")
        check(om.endswith("# EOF\n"), "OpenMetrics ends with # EOF")
        check("# TYPE dns_messages counter" in om.splitlines(),
              "OpenMetrics: counter family without _total")
        check('le="1.0"' in om, "OpenMetrics le values are floats")
        try:
            http_get(f"http://127.0.0.1:{port}/nothing")
            raise Fail("/nothing answered 200")
        except urllib.error.HTTPError as e:
            eq(e.code, 404, "/nothing status")
    finally:
        rc = r.stop()
    eq(rc, 0, "runner exit code")
    eq(r.stdout(), "", "stdout with -o none")
    told = [x for x in r.stderr().splitlines() if "key sets" in x]
    eq(len(told), 1, f"overflow said once: {r.stderr()!r}")
    check("otel_metric_overflow" in told[0], told[0])


@test
def quiet_exporter_sleeps_between_scrapes(env):
    """Serving /metrics with no DNS on its ports, the runner sleeps until
    a client connects (a few wake-ups in 2 s, not the ~200 of polling
    every 10 ms), then answers the scrape."""
    # in a mount namespace of its own: it wakes for every mount made
    # where it watches (new network namespaces), and other jobs on the
    # machine may start containers meanwhile
    r, port = metrics_runner(["run", "trace_dns", "-o", "none", "--store",
                              env.store, "--ports", "1055",
                              "--otel-metrics-listen"],
                             prefix=PRIVATE_MOUNTS)
    try:
        time.sleep(1)  # quiet by now
        before = wakeups(r.proc.pid)
        time.sleep(2)
        woke = wakeups(r.proc.pid) - before
        st, hdr, text = http_get(f"http://127.0.0.1:{port}/metrics")
        eq(st, 200, "scrape status")
        check(hdr["Content-Type"].startswith("text/plain"),
              f"Content-Type {hdr['Content-Type']}")
        st, _, _ = http_get(f"http://127.0.0.1:{port}/metrics")
        eq(st, 200, "second scrape status")
    finally:
        rc = r.stop()
    eq(rc, 0, "runner exit code")
    # once a second the runner looks for new network namespaces
    check(woke < 20, f"the quiet runner woke {woke} times in 2 s")


@test
def wildcard_listens_on_ipv4_and_ipv6(env):
    """--otel-metrics-listen-address :PORT, and 0.0.0.0:PORT (ig's
    default), listen on both IP versions, as ig's (Go's net.Listen) do: a
    scrape over ::1 and one over 127.0.0.1 both get the counted query."""
    ns = env.cli["node-a"]
    for spec in (":{}", "0.0.0.0:{}"):
        s = socket.socket(socket.AF_INET6)  # a port free on both
        s.bind(("::", 0))
        port = s.getsockname()[1]
        s.close()
        r = Runner(["run", "trace_dns", "-o", "none", "--store", env.store,
                    "-F", f"netns_id=={ns.inode()}", "--otel-metrics-listen",
                    "--otel-metrics-listen-address", spec.format(port)])
        try:
            dig(ns, SRV_A, "web.test", "A")
            for host in ("[::1]", "127.0.0.1"):
                url = f"http://{host}:{port}/metrics"
                wait_until(lambda: "dns_messages_total{" in http_get(url)[2],
                           what=f"{spec}: a message counted, over {host}")
        finally:
            eq(r.stop(), 0, "runner exit code")


@test
def empty_scope_name_is_the_data_source(env):
    """--otel-metrics-name dns: (no name) keeps the data source's name as
    the scope, as ig does; dns:x names it x."""
    ns = env.cli["node-a"]
    for spec, want in (("dns:", "dns"), ("dns:x", "x")):
        r, port = metrics_runner(
            ["run", "trace_dns", "-o", "none", "--store", env.store,
             "-F", f"netns_id=={ns.inode()}", "--otel-metrics-listen",
             "--otel-metrics-name", spec])
        text = {}
        try:
            dig(ns, SRV_A, "web.test", "A")

            def counted():
                text["t"] = http_get(f"http://127.0.0.1:{port}/metrics")[2]
                return "dns_messages_total{" in text["t"]
            wait_until(counted, what="a message counted")
        finally:
            eq(r.stop(), 0, "runner exit code")
        scopes = {ln.split('otel_scope_name="')[1].split('"')[0]
                  for ln in text["t"].splitlines()
                  if ln.startswith("dns_messages_total{")}
        eq(scopes, {want}, f"scopes with --otel-metrics-name {spec}")


@test
def unanswered_queries_counted_by_their_label(env):
    """A query nobody answers is counted once, labelled unanswered="true",
    after --unanswered-timeout; an answered one stays "false".  The
    response latency histogram has the answer and not the wait of the
    unanswered query (metrics.skip-if: unanswered)."""
    ns = env.cli["node-a"]
    silent = SRV_A.rsplit(".", 1)[0] + ".77"
    sh(f"ip -n {env.srv.name} addr add {silent}/32 dev lo")
    r, port = metrics_runner(
        ["run", "trace_dns", "-o", "none", "--store", env.store,
         "-F", f"netns_id=={ns.inode()}", "--otel-metrics-listen",
         "--unanswered-timeout", "1"])
    try:
        dig(ns, SRV_A, "web.test", "A")
        out = ns.run(f"dig +time=1 +tries=1 @{silent} silent.test A",
                     check_rc=False)
        check("status:" not in out, f"dig got an answer: {out[-300:]}")
        url = f"http://127.0.0.1:{port}/metrics"
        text = {}

        def unanswered():
            text["t"] = http_get(url)[2]
            return 'qtype="A",rcode="",unanswered="true"' in text["t"]
        wait_until(unanswered, what="an unanswered query counted")
    finally:
        eq(r.stop(), 0, "runner exit code")
        sh(f"ip -n {env.srv.name} addr del {silent}/32 dev lo",
           check_rc=False)
    series = {ln.rsplit(" ", 1)[0]: ln.rsplit(" ", 1)[1]
              for ln in text["t"].splitlines()
              if ln.startswith("dns_messages_total{")}
    got = {k: v for k, v in series.items() if 'unanswered="true"' in k}
    eq(list(got.values()), ["1"], f"unanswered series {got}")
    check(any('qr="R",qtype="A",rcode="Success",unanswered="false"' in k
              for k in series), f"the answered query: {series}")
    hist = {ln.rsplit(" ", 1)[0]: ln.rsplit(" ", 1)[1]
            for ln in text["t"].splitlines()
            if ln.startswith("dns_response_latency_seconds_count{")}
    eq(list(hist.values()), ["1"], f"latency histogram series {hist}")
    check('rcode="Success",unanswered="false"' in next(iter(hist)),
          f"the answer's latency: {hist}")


@test
def metrics_print_table_instead_of_events(env):
    ns = env.cli["node-b"]
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "-F", f"netns_id=={ns.inode()}",
                "--annotate", "dns:metrics.print=true",
                "--otel-metrics-print-interval", "200ms"])
    try:
        dig(ns, SRV_B, "nx.test", "A")
        wait_until(lambda: "NameError" in r.stdout(), what="a printed table")
    finally:
        eq(r.stop(), 0, "runner exit code")
    out = r.stdout()
    check(not out.lstrip().startswith("{"), f"no JSON events: {out[:200]}")
    rows = [x.split("\t") for x in out.splitlines() if "NameError" in x]
    check(rows, f"a NameError row: {out[-500:]}")
    # keys: qr, qtype, rcode, unanswered, then the workload (container,
    # k8s namespace, pod), empty on a host
    eq(rows[-1][:7], ["R", "A", "NameError", "false", "-", "-", "-"],
       "keys of the last row")
    eq(rows[-1][7], "1", "dns_messages of the last row")


@test
def listen_flag_takes_every_ig_bool_param_spelling(env):
    """--otel-metrics-listen=BOOL takes what every bool param of ig's
    takes here: Go's ParseBool spellings (1, t, ...) and ig's own
    (pkg/params ValidateBool: true or false in any case).  tRuE and 1
    serve /metrics, fAlSe opens no listening socket, yes and tru are
    usage errors.  Until December 2026 it took only true and false, then
    (33a6ce5) only true or false in any case: 1 and t were refused."""
    base = ["run", "trace_dns", "-o", "none", "--store", env.store,
            "--ports", "1055"]
    for v in ("tRuE", "1"):
        r, port = metrics_runner(base + [f"--otel-metrics-listen={v}"])
        try:
            eq(http_get(f"http://127.0.0.1:{port}/metrics")[0], 200,
               f"scrape with --otel-metrics-listen={v}")
        finally:
            eq(r.stop(), 0, "runner exit code")
    r = Runner(base + ["--otel-metrics-listen=fAlSe",
                       "--otel-metrics-listen-address",
                       f"127.0.0.1:{free_port()}"])
    try:
        listening = sh("ss -Hltnp", timeout=10)
        check(f"pid={r.proc.pid}," not in listening,
              f"--otel-metrics-listen=fAlSe listens: {listening}")
    finally:
        eq(r.stop(), 0, "runner exit code")
    for v in ("yes", "tru"):
        usage_error(base + [f"--otel-metrics-listen={v}"],
                    f"invalid --otel-metrics-listen '{v}': "
                    "want true or false")


@test
def malformed_annotations_image_build(env):
    d = os.path.join(env.tmp, "bad_gadget")
    shutil.copytree(os.path.join(ROOT, "gadget", "trace_dns"), d)
    y = os.path.join(d, "gadget.yaml")
    with open(y) as f:
        text = f.read()
    bad = text.replace("metrics.boundaries: >-", "metrics.boundaries: >-\n"
                       "            0.5,0.1,", 1)
    check(bad != text, "gadget.yaml has metrics.boundaries")
    with open(y, "w") as f:
        f.write(bad)
    line = usage_error(["image", "build", d, "-t", "bad:latest",
                        "--store", env.store], "field latency_ns",
                       "metrics.boundaries", "boundaries must increase",
                       rc=1)
    check("\n" not in line, line)
    with open(y, "w") as f:
        f.write(text.replace("metrics.type: key", "metrics.type: label", 1))
    usage_error(["image", "build", d, "-t", "bad:latest", "--store",
                 env.store], "metrics.type", '"label"',
                "want key, counter, gauge or histogram", rc=1)


@test
def malformed_annotations_run(env):
    base = ["run", "trace_dns", "--store", env.store, "--timeout", "1"]
    usage_error(base + ["--annotate", "dns.latency_ns:metrics.boundaries="
                        "0.1,0.01"], "metrics.boundaries",
                "boundaries must increase", rc=1)
    usage_error(base + ["--annotate", "dns.name:metrics.type=histogram",
                        "--otel-metrics-listen"], "field name",
                "must be a number", rc=1)
    usage_error(base + ["--annotate", "dns:metrics.collect=yes"],
                "metrics.collect", "want true or false", rc=1)
    usage_error(base + ["--annotate", "nonsense"], "--annotate",
                "DS:KEY=VALUE", rc=2)
    usage_error(base + ["--otel-metrics-print-interval", "10ms"],
                "at least 25ms", rc=2)
    rc, out, err = run_sync(base[:-2] + [
        "--otel-metrics-listen", "--otel-metrics-listen-address",
        "127.0.0.1:99999"], timeout=5, safety=False)
    # a bad flag value: a usage error (it was found only when listening)
    eq(rc, 2, f"bad listen address exit code ({err!r})")
    check("--otel-metrics-listen-address" in err
          and len(err.splitlines()) == 1, err)


if __name__ == "__main__":
    main(setup, teardown)
