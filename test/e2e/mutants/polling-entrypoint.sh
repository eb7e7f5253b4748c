#!/bin/sh
# A deliberately weak step wrapper, to check that the e2e suite can fail (it is never used by it).
# It speaks the entrypoint's command line (docs/contract.md) but behaves like the anchors the
# issues criticise: it polls every second (Tekton), holds no lock (a dead dependency hangs its
# dependents until the pod's deadline), and ignores -timeout, -retries, -on_error and -abort_file.
# Build it into an image and run the suite against it:
#   test/e2e/mutants/build-mutant.sh
#   CDK8S_STEPS_E2E_ENTRYPOINT_IMAGE=localhost/cdk8s-steps-entrypoint:mutant-polling npx jest test/e2e/scenarios.test.ts
if [ "$1" = cp ]; then
  cat "$2" >"$3.tmp" && chmod 755 "$3.tmp" && mv "$3.tmp" "$3"
  exit
fi
wait=; post=; term=; ep=; name=
while [ $# -gt 0 ]; do
  case "$1" in
  -wait_file=*) wait="${1#-wait_file=}" ;;
  -post_file=*) post="${1#-post_file=}" ;;
  -termination_path=*) term="${1#-termination_path=}" ;;
  -step_name=*) name="${1#-step_name=}" ;;
  -entrypoint=*) ep="${1#-entrypoint=}" ;;
  --) shift; break ;;
  esac
  shift
done
report() { # reason exitCode
  printf '{"step":"%s","reason":"%s","exitCode":%s,"startedAt":"%s","finishedAt":"%s","attempts":1}' \
    "$name" "$1" "$2" "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" >"$term"
}
for f in $(echo "$wait" | tr , ' '); do
  while [ ! -e "$f" ]; do
    if [ -e "$f.err" ]; then
      touch "$post.err"; report Skipped 120; exit 120
    fi
    sleep 1
  done
done
"$ep" "$@"
rc=$?
if [ "$rc" = 0 ]; then touch "$post"; report Succeeded 0; else touch "$post.err"; report Failed "$rc"; fi
exit "$rc"
