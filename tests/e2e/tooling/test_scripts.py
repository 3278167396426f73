"""The shell helpers that install tools and start the stack (scripts/lib.sh), with fakes for apt and docker.

A failure in them once hid a failed `compose up` and left a policy-rc.d behind that blocked every later
service start on the machine: they must fail where they fail, and clean up whatever happens.
"""

import os
import subprocess
from pathlib import Path

LIB = Path(__file__).parents[3] / "scripts" / "lib.sh"


def run(script: str, tmp_path: Path, fakes: dict[str, str], **env: str) -> subprocess.CompletedProcess[str]:
    """`script` in bash with lib.sh sourced, and `fakes` (name: body) as commands first on the PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in fakes.items():
        path = bin_dir / name
        path.write_text(f"#!/usr/bin/env bash\n{body}\n")
        path.chmod(0o755)
    full_env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", **env}
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source {LIB}; {script}"],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_failed_install_leaves_no_policy_rc_d(tmp_path: Path) -> None:
    policy = tmp_path / "policy-rc.d"
    result = run("apt_install_without_starting nginx", tmp_path, {"apt-get": "exit 100"}, POLICY_RC_D=str(policy))
    assert result.returncode != 0
    assert not policy.exists()


def test_a_successful_install_leaves_no_policy_rc_d_and_services_could_not_start_during_it(tmp_path: Path) -> None:
    policy = tmp_path / "policy-rc.d"
    seen = tmp_path / "seen"
    apt = f'[ "$1" = install ] && "{policy}"; echo "policy said $?" >>"{seen}"; exit 0'
    result = run("apt_install_without_starting nginx", tmp_path, {"apt-get": apt}, POLICY_RC_D=str(policy))
    assert result.returncode == 0, result.stderr
    assert not policy.exists()
    assert "policy said 101" in seen.read_text()


def test_someone_elses_policy_rc_d_is_left_alone(tmp_path: Path) -> None:
    policy = tmp_path / "policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 0\n")
    result = run("apt_install_without_starting nginx", tmp_path, {"apt-get": "exit 100"}, POLICY_RC_D=str(policy))
    assert result.returncode != 0
    assert policy.read_text() == "#!/bin/sh\nexit 0\n"


def test_a_failed_compose_up_fails_loudly(tmp_path: Path) -> None:
    compose = 'echo "DEPRECATED: The legacy builder"; echo "service api failed to build" >&2; exit 17'
    result = run("compose_up fake-compose; echo after", tmp_path, {"fake-compose": compose})
    assert result.returncode == 17
    assert "service api failed to build" in result.stdout
    assert "DEPRECATED" not in result.stdout and "after" not in result.stdout


def test_a_quiet_successful_compose_up_passes(tmp_path: Path) -> None:
    result = run("compose_up fake-compose", tmp_path, {"fake-compose": "echo DEPRECATED: noise; exit 0"})
    assert result.returncode == 0


def fake_compose(services: str, ps: str) -> str:
    return f'case "$1" in config) printf "{services}";; ps) printf "{ps}";; esac'


def test_no_containers_is_not_a_healthy_stack(tmp_path: Path) -> None:
    result = run("stack_healthy fake-compose", tmp_path, {"fake-compose": fake_compose("api\\nnginx\\n", "")})
    assert result.returncode == 1
    assert "api: no container" in result.stderr and "nginx: no container" in result.stderr


def test_every_service_must_be_healthy_or_done(tmp_path: Path) -> None:
    services = "api\\nnginx\\nmigrate\\nredis\\n"
    ps = "api|running|healthy|0\\napi|running|starting|0\\nnginx|running|healthy|0\\nmigrate|exited||1\\n"
    result = run("stack_healthy fake-compose", tmp_path, {"fake-compose": fake_compose(services, ps)})
    assert result.returncode == 1
    problems = result.stderr.splitlines()[1:]
    assert problems == ["  api: running, starting", "  migrate: exited with 1", "  redis: no container"]


def test_a_healthy_stack_passes(tmp_path: Path) -> None:
    ps = "api|running|healthy|0\\napi|running|healthy|0\\nmigrate|exited||0\\n"
    result = run("stack_healthy fake-compose", tmp_path, {"fake-compose": fake_compose("api\\nmigrate\\n", ps)})
    assert result.returncode == 0, result.stderr
