"""One wrong use of each public API; ``check_types.py`` requires mypy to flag exactly the
lines marked ``# expect: <error code>``, and nothing else."""

from __future__ import annotations

from mock_ecr import Call, CallLog, ExpiredImage, Fault, MockECR, PushedImage, RegistryState, mock_ecr


def mistakes(m: MockECR) -> None:
    mock_ecr(account_id=123456789012)  # expect: call-overload
    mock_ecr(quotas={"images_per_repository": "5"})  # expect: dict-item
    m.start().active()  # expect: operator
    m.push_image("app", layers="two")  # expect: arg-type
    m.push_image("app", media_type="docker-v1")  # expect: arg-type
    m.push_image("app", colour="blue")  # expect: call-arg
    pushed: PushedImage = m.push_image("app")
    pushed.digest = "sha256:0"  # expect: misc
    state: RegistryState = m.state()
    state.repository("app").images[0].tags.append("v2")  # expect: attr-defined
    m.state(region=1)  # expect: arg-type
    m.registries()[0].account_id + 1  # expect: operator
    calls: CallLog = m.calls
    call: Call = calls.last("PutImage")
    call.error_code.upper()  # expect: union-attr
    calls.filter(ok="yes")  # expect: arg-type
    fault: Fault = m.inject_error("PutImage", "ThrottlingException", count="3")  # expect: arg-type
    fault.remaining + 1  # expect: operator
    m.inject_error("PutImage")  # expect: call-arg
    expired: list[ExpiredImage] = m.apply_lifecycle_policies()
    expired[0].rule_priority.startswith("1")  # expect: attr-defined
    m.apply_lifecycle_policies(region=["us-east-1"])  # expect: arg-type


@mock_ecr
def decorated(repository: str, count: int = 1) -> str:
    return repository * count


def decorated_mistakes() -> None:
    decorated(1)  # expect: arg-type
    decorated("app").upper().bit_length()  # expect: attr-defined
