"""Checks every pod template in rendered manifests against the restricted Pod Security Standard and the
project's own deployment rules. Usage: check_pod_specs.py FILE... (exit 1 listing every violation).

Restricted profile (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted): no host
namespaces, ports or paths, not privileged, allowPrivilegeEscalation false, capabilities drop ALL (add at most
NET_BIND_SERVICE), runAsNonRoot, non-zero runAsUser, seccomp RuntimeDefault or Localhost, restricted volume types.
The project adds: no service-account token, read-only root file system with an emptyDir on /tmp, pinned images,
requests and a memory limit, startup/liveness/readiness probes and a preStop delay on serving containers, and each
container reading only its own service's Secret (the migrate initContainer: flexsync-migrate only).
"""
import sys

import yaml

POD_OWNERS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
MIGRATE_SECRET = "flexsync-migrate"


def pod_templates(doc):
    kind = doc.get("kind")
    if kind == "Pod":
        yield doc["metadata"]["name"], doc["spec"]
    elif kind in POD_OWNERS:
        yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]
    elif kind == "CronJob":
        yield doc["metadata"]["name"], doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def secrets_read(container):
    names = [source["secretRef"]["name"] for source in container.get("envFrom", []) if "secretRef" in source]
    for env in container.get("env", []):
        ref = (env.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            names.append(ref["name"])
    return names


def check_container(where, container, pod_security, serving, own_secret):
    problems = []
    sc = container.get("securityContext") or {}

    def effective(field):
        return sc.get(field, pod_security.get(field))

    if sc.get("privileged"):
        problems.append("privileged")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation must be false")
    caps = sc.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        problems.append("capabilities.drop must contain ALL")
    if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
        problems.append("capabilities.add may only hold NET_BIND_SERVICE")
    if effective("runAsNonRoot") is not True:
        problems.append("runAsNonRoot must be true")
    if effective("runAsUser") == 0:
        problems.append("runAsUser must not be 0")
    seccomp = (effective("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        problems.append("seccompProfile.type must be RuntimeDefault or Localhost")
    if sc.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem must be true")
    if not any(mount.get("mountPath") == "/tmp" for mount in container.get("volumeMounts", [])):
        problems.append("needs a writable /tmp mount (emptyDir)")
    if any(port.get("hostPort") for port in container.get("ports", [])):
        problems.append("hostPort is not allowed")
    image = container.get("image", "")
    tag = image.rsplit("/", 1)[-1]
    if "@sha256:" not in image and (":" not in tag or tag.endswith(":latest")):
        problems.append(f"image {image!r} must be pinned (tag other than latest, or digest)")
    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    if "cpu" not in requests or "memory" not in requests:
        problems.append("resources.requests needs cpu and memory")
    if "memory" not in (resources.get("limits") or {}):
        problems.append("resources.limits needs memory")
    if serving:
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if probe not in container:
                problems.append(f"{probe} missing")
        if "preStop" not in (container.get("lifecycle") or {}):
            problems.append("lifecycle.preStop missing (in-flight requests)")
    allowed = {MIGRATE_SECRET} if not serving and container.get("name") == "migrate" else {own_secret}
    for name in secrets_read(container):
        if not any(name == a or (name.startswith(a + "-") and is_hash(name[len(a) + 1 :])) for a in allowed):
            problems.append(f"reads Secret {name!r}; allowed: {sorted(allowed)}")
    return [f"{where}: {problem}" for problem in problems]


def is_hash(suffix):
    """kustomize's secretGenerator appends a 10-character content hash."""
    return len(suffix) == 10 and suffix.isalnum()


def check_pod(name, spec):
    where = f"pod of {name}"
    problems = []
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: automountServiceAccountToken must be false")
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            problems.append(f"{where}: {field} is not allowed")
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            problems.append(f"{where}: volume {volume['name']} of type {sorted(kinds)} is not allowed")
    pod_security = spec.get("securityContext") or {}
    for container in spec.get("initContainers", []):
        problems += check_container(f"{where}, initContainer {container['name']}", container, pod_security, False, name)
    for container in spec.get("containers", []):
        problems += check_container(f"{where}, container {container['name']}", container, pod_security, True, name)
    return problems


def main(paths):
    problems, pods = [], 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                for name, spec in pod_templates(doc or {}):
                    pods += 1
                    problems += check_pod(name, spec)
    for problem in problems:
        print(f"RESTRICTED {problem}")
    print(f"[k8s] {pods} pod spec(s) checked, {len(problems)} violation(s)")
    return 1 if problems or pods == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
