"""This account's identity as others see it: the safety number of its public bundle."""

from __future__ import annotations

from vault_client import crypto, state
from vault_client.account import bundle_from_wire


def own_identity() -> dict[str, str]:
    account = state.load_account()
    bundle = bundle_from_wire(account.account_id, account.bundle)
    return {"email": account.email, "account_id": account.account_id,
            "safety_number": crypto.safety_number(bundle), "fingerprint": crypto.fingerprint(bundle).hex()}
