#!/bin/sh
# Manual cross-container check in podman (not part of `go test`): a pod with two
# steps sharing an emptyDir, the dependent's mount read-only.
#  1. two waits for one and starts right after it (inotify across containers);
#  2. one's container is SIGKILLed mid-run: two ends DependencyLost (flock across containers).
# Needs podman; on the project's machines (root, no systemd) a containers.conf with
# cgroup_manager = "cgroupfs", runtime = "runc", events_logger = "file" through CONTAINERS_CONF.
# STEP_IMAGE: any image with /bin/sh (default: the e2e suite's busybox image).
set -eu
cd "$(dirname "$0")"
STEP_IMAGE="${STEP_IMAGE:-localhost/cdk8s-steps-e2e-step:dev}"
IMAGE="${IMAGE:-localhost/cdk8s-steps-entrypoint:dev}"
./build.sh --image "$IMAGE" >/dev/null
pod="epcheck-$$"
trap 'podman pod rm -f "$pod" >/dev/null 2>&1 || true; rm -f "$yaml"' EXIT
yaml=$(mktemp)

pod_yaml() { # $1 = seconds step one sleeps
	cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
spec:
  restartPolicy: Never
  initContainers:
  - name: cdk8s-steps-init
    image: $IMAGE
    imagePullPolicy: Never
    command: ["/entrypoint", "cp", "/entrypoint", "/cdk8s-steps/bin/entrypoint"]
    volumeMounts:
    - {name: bin, mountPath: /cdk8s-steps/bin}
  containers:
  - name: one
    image: $STEP_IMAGE
    imagePullPolicy: Never
    command: ["/cdk8s-steps/bin/entrypoint"]
    args: ["-contract=2", "-step=one", "-entrypoint=sh", "--", "-c", "echo one starts; sleep $1; echo one ends"]
    volumeMounts:
    - {name: bin, mountPath: /cdk8s-steps/bin, readOnly: true}
    - {name: state-one, mountPath: /cdk8s-steps/steps/one}
  - name: two
    image: $STEP_IMAGE
    imagePullPolicy: Never
    command: ["/cdk8s-steps/bin/entrypoint"]
    args: ["-contract=2", "-step=two", "-wait=one", "-entrypoint=sh", "--", "-c",
           "echo two runs; touch /cdk8s-steps/steps/one/x 2>/dev/null && echo one is writable || echo one is read-only"]
    volumeMounts:
    - {name: bin, mountPath: /cdk8s-steps/bin, readOnly: true}
    - {name: state-one, mountPath: /cdk8s-steps/steps/one, readOnly: true}
    - {name: state-two, mountPath: /cdk8s-steps/steps/two}
  volumes:
  - {name: bin, emptyDir: {}}
  - {name: state-one, emptyDir: {}}
  - {name: state-two, emptyDir: {}}
YAML
}

wait_exit() { # container -> exit code
	i=0
	while [ "$(podman inspect -f '{{.State.Status}}' "$1")" != exited ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "timeout waiting for $1" >&2; return 1; }
		sleep 0.1
	done
	podman inspect -f '{{.State.ExitCode}}' "$1"
}

fail=0
echo "== 1. hand-off across containers"
pod_yaml 1 >"$yaml"
podman play kube "$yaml" >/dev/null
c1=$(wait_exit "$pod-one"); c2=$(wait_exit "$pod-two")
podman logs -t "$pod-one"; podman logs -t "$pod-two"
echo "exit codes: one=$c1 two=$c2"
[ "$c1" = 0 ] && [ "$c2" = 0 ] || fail=1
podman pod rm -f "$pod" >/dev/null

echo "== 2. dependency SIGKILLed mid-run"
pod_yaml 30 >"$yaml"
podman play kube "$yaml" >/dev/null
sleep 2
echo "killing $pod-one at $(date -u +%H:%M:%S.%N)"
podman kill --signal KILL "$pod-one" >/dev/null
c2=$(wait_exit "$pod-two")
podman logs -t "$pod-two"
echo "exit code: two=$c2 (want 121, DependencyLost)"
[ "$c2" = 121 ] || fail=1
[ $fail = 0 ] && echo "podman check: OK" || { echo "podman check: FAILED"; exit 1; }
