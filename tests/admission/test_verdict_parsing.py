"""How the live tests read a denial (tests/admission/live.py): Kyverno's list of failed policies
and rules, and Pod Security Admission's checks. A misread denial would make the three-way
agreement test agree by accident, so the reading is tested on its own (no cluster)."""

import live

KYVERNO = (
    'admission webhook "validate.kyverno.svc-fail" denied the request: \n\nresource Deployment/acme-dev/x was '
    "blocked due to the following policies \n\nopenova-require-probes:\n  autogen-require-probes: 'validation "
    "error: require-probes: set livenessProbe and readinessProbe. rule autogen-require-probes failed at path "
    "/spec/template/spec/containers/0/'\nopenova-require-topology-spread:\n  autogen-require-topology-spread: "
    "'validation error: require-topology-spread: add topologySpreadConstraints'\n")
PSA = ('pods "p" is forbidden: violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true), '
       'unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"]), '
       'restricted volume types (volume "host" uses restricted volume type "hostPath", volume "n" uses '
       'restricted volume type "nfs")')
# What the API server answered for the corpus fixture pod-hostpath.
HOST_PATH = ('forbidden: pods "pod-hostpath" is forbidden: violates PodSecurity "restricted:latest": restricted '
             'volume types (volume "host" uses restricted volume type "hostPath")')


def test_kyverno_denial_names_every_failed_policy_and_rule():
    failures = live.kyverno_failures(KYVERNO)
    assert sorted(failures) == ["openova-require-probes", "openova-require-topology-spread"]
    assert list(failures["openova-require-probes"]) == ["autogen-require-probes"]
    assert live.denied_rules(KYVERNO) == {"require-probes", "require-topology-spread"}


def test_pod_security_denial_maps_each_check_to_its_guard_rail():
    checks = live.psa_failures(PSA)
    assert sorted(checks) == ["host namespaces", "restricted volume types", "unrestricted capabilities"]
    assert checks["unrestricted capabilities"].startswith('containers "a", "b" must set')
    assert live.denied_rules(PSA) == {"disallow-host-access", "pod-security-restricted"}
    # A hostPath volume alone belongs to disallow-host-access (the rule table's choice).
    assert live.denied_rules(HOST_PATH) == {"disallow-host-access"}


def test_a_rejection_that_names_no_guard_rail_is_an_error_not_an_agreement():
    assert live.denied_rules('admission webhook "other.example" denied the request: no') == set()
    assert live.denied_rules(PSA.replace("host namespaces", "brand new check")) >= {
        "unknown Pod Security check brand new check"}
