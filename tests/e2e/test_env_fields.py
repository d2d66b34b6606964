#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ig's env operator: a data source annotation `env.fields.myfield: MYVAR`
(tests/fixtures/env_fields, one event per exec) adds the field myfield
holding the runner's $MYVAR, when --env-vars (or the configuration's
operator.env.env-vars) allows MYVAR; else the run fails before anything
is loaded.

The events are execs of a copy of /bin/true under a name of this test's
own (its comm), selected with --comm.  That no event passed a filter is
read after the runner stopped: a stop drains what the kernel holds, so
every exec made before it has been seen, and none needs a sleep.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Runner, check, eq, main, test  # noqa: E402
from gadget_env import (fixture_env, fixture_env_teardown,  # noqa: E402
                        header_cell, json_lines, json_stream, run_sync,
                        usage_error, wait_json, wait_until)

VALUE = 'a "quoted"\tvalue \\ é'


def setup():
    os.environ.pop("MYVAR", None)
    os.environ.pop("INSPEKTOR_GADGET_OPERATOR_ENV_ENV_VARS", None)
    env = fixture_env("env-fields", ["env_fields"])
    try:
        env.comm = f"envf{os.getpid()}"[:15]
        env.prog = os.path.join(env.tmp, env.comm)
        shutil.copy2("/bin/true", env.prog)
        # a configuration file of its own: no ~/.ig/config.yaml of the host
        env.home = os.path.join(env.tmp, "home")
        os.makedirs(env.home)
        env.cfg = os.path.join(env.tmp, "config.yaml")
        with open(env.cfg, "w") as f:
            f.write("operator:\n  env:\n    env-vars: OTHER,MYVAR\n")
    except BaseException:
        fixture_env_teardown(env)
        raise
    return env


def execs(env, n):
    for _ in range(n):
        subprocess.run([env.prog], check=True, timeout=30)


def run_args(env, *flags):
    return ["run", "env_fields", "--store", env.store, "--comm", env.comm,
            *flags]


def tracer(env, *flags, value=VALUE, json_out=True):
    e = {"HOME": env.home}
    if value is not None:
        e["MYVAR"] = value
    return Runner(run_args(env, *(("-o", "json") if json_out else ()),
                           *flags), env=e)


def ours(env):
    return lambda e: e.get("comm") == env.comm


def stop_summary(r):
    """Stop r (SIGINT: what the kernel holds is drained first); exit 0
    and the summary's count of events."""
    eq(r.stop(), 0, f"exit code; stderr {r.stderr()[-300:]!r}")
    last = r.stderr().strip().splitlines()[-1]
    check(last.startswith("env_fields: "), f"summary: {last!r}")
    return int(last.split()[1])


@test
def allowed_var_value_in_every_event_json(env):
    # --env-vars is ig's param: "@FILE" reads the list from FILE
    lst = os.path.join(env.tmp, "env-vars")
    with open(lst, "w") as f:
        f.write("OTHER,MYVAR")
    r = tracer(env, "--env-vars=@" + lst)
    execs(env, 3)
    evs = [e for e in wait_json(r, ours(env), n=3) if ours(env)(e)]
    stop_summary(r)
    for e in evs:
        eq(e.get("myfield"), VALUE, "myfield in JSON")


@test
def allowed_var_in_yaml(env):
    r = Runner(run_args(env, "-o", "yaml", "--env-vars", "MYVAR"),
               env={"MYVAR": VALUE, "HOME": env.home})
    execs(env, 1)
    wait_until(lambda: "comm: " + env.comm in r.stdout(), what="yaml event")
    stop_summary(r)
    out = r.stdout()
    want = "myfield: " + json.dumps(VALUE, ensure_ascii=False)
    check(want in out.splitlines(), f"{want!r} not in {out!r}")


@test
def allowed_var_in_columns_escaped_and_selected_by_fields(env):
    r = tracer(env, "--env-vars", "MYVAR", json_out=False, value="x\ty")
    execs(env, 2)
    wait_until(lambda: r.stdout().count(env.comm) >= 2, what="2 rows")
    stop_summary(r)
    lines = r.stdout().splitlines()
    header = lines[0]
    check(header.split()[-1] == "MYFIELD", f"last column: {header!r}")
    rows = [ln for ln in lines[1:] if env.comm in ln]
    for row in rows:
        eq(header_cell(header, row, "MYFIELD"), "x\\ty",
           "MYFIELD cell (escaped as a column escapes text)")
    r = tracer(env, "--env-vars", "MYVAR", "--fields", "myfield,comm",
               json_out=False, value="onlyme")
    execs(env, 1)
    wait_until(lambda: env.comm in r.stdout(), what="row")
    stop_summary(r)
    lines = r.stdout().splitlines()
    eq(lines[0].split(), ["MYFIELD", "COMM"], "--fields header")
    eq(lines[1].split(), ["onlyme", env.comm], "--fields row")


@test
def filter_on_env_field_keeps_all_or_nothing(env):
    # compared as the variable has it (a tab), not as columns show it
    r = tracer(env, "--env-vars", "MYVAR", "-F", "myfield==v\t1,comm==" +
               env.comm, value="v\t1")
    execs(env, 2)
    wait_json(r, ours(env), n=2)
    stop_summary(r)
    for flt in ("myfield==v2", "myfield!=v\t1", "myfield~^v2",
                "myfield==v\\t1"):
        r = tracer(env, "--env-vars", "MYVAR", "-F", flt, value="v\t1")
        execs(env, 3)
        eq(stop_summary(r), 0, f"events after -F {flt} (all drained)")
        eq(json_lines(r.stdout()), [], f"output of -F {flt}")


@test
def unset_var_is_empty(env):
    r = tracer(env, "--env-vars", "MYVAR", value=None)
    execs(env, 1)
    evs = [e for e in wait_json(r, ours(env)) if ours(env)(e)]
    stop_summary(r)
    check("myfield" in evs[0], f"no myfield in {evs[0]}")
    eq(evs[0]["myfield"], "", "myfield of an unset MYVAR")


@test
def var_not_allowed_fails_before_loading(env):
    want = ('env.fields.myfield: environment var "MYVAR" not in allowed '
            'vars (--env-vars "')
    for flags in ((), ("--env-vars", "OTHER"), ("--env-vars", "MYVAR2,"),
                  ("--env-vars", "OTHER", "--help")):
        line = usage_error(run_args(env, *flags), want, rc=1)
        check(line.startswith("runner: run env_fields: data source execs: "),
              line)
    # (usage_error() runs without RUNNER_READY_FILE: nothing says ready;
    # a run that loaded would have printed its header or run for good)


@test
def config_file_and_environment_allow_it(env):
    rc, out, err = run_sync(run_args(env, "--help", "--config", env.cfg),
                            safety=False)
    eq(rc, 0, f"--help with the configuration's env-vars: {err!r}")
    check(any(ln.split()[:1] == ["myfield"] for ln in out.splitlines()),
          f"myfield not in the help's fields: {out[-400:]!r}")
    r = Runner(run_args(env, "-o", "json", "--config", env.cfg),
               env={"MYVAR": "fromcfg", "HOME": env.home})
    execs(env, 1)
    evs = [e for e in wait_json(r, ours(env)) if ours(env)(e)]
    stop_summary(r)
    eq(evs[0]["myfield"], "fromcfg", "myfield, allowed by the file")
    # the line wins over the file, as ig's flags do
    usage_error(run_args(env, "--config", env.cfg, "--env-vars", "OTHER"),
                '"MYVAR" not in allowed vars', rc=1)
    r = Runner(run_args(env, "-o", "json"),
               env={"MYVAR": "fromenv", "HOME": env.home,
                    "INSPEKTOR_GADGET_OPERATOR_ENV_ENV_VARS": "MYVAR"})
    execs(env, 1)
    evs = [e for e in wait_json(r, ours(env)) if ours(env)(e)]
    stop_summary(r)
    eq(evs[0]["myfield"], "fromenv", "myfield, allowed by the variable")


@test
def image_inspect_shows_the_field_as_ig(env):
    args = ["image", "inspect", "env_fields", "--store", env.store,
            "--show-datasources", "-o", "json"]
    rc, out, err = run_sync(args, safety=False,
                            env={"HOME": env.home,
                                 "INSPEKTOR_GADGET_OPERATOR_ENV_ENV_VARS":
                                 "MYVAR"})
    eq(rc, 0, f"inspect: {err!r}")
    ds = json_stream(out)[0]
    f = [x for x in ds[0]["fields"] if x["fullName"] == "myfield"]
    eq(len(f), 1, "myfield among the fields")
    eq(f[0]["kind"], 12, "kind (ig's api.Kind_String)")
    check("offs" not in f[0] and "payloadIndex" in f[0],
          f"a field of its own payload: {f[0]}")
    rc, out, err = run_sync(args, safety=False, env={"HOME": env.home})
    eq(rc, 1, f"inspect without env-vars: {err!r}")
    check('environment var "MYVAR" not in allowed vars' in err, err)


if __name__ == "__main__":
    main(setup, fixture_env_teardown)
