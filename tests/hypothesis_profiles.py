"""Hypothesis profiles for the property tests of the deal format (issue 6).

Two profiles are registered:

* ``ci`` (the default): about 50 examples per property, no deadline (a build
  renders two Word documents; its first run compiles the templates), so
  that ``tests/test_properties.py`` stays well under a minute;
* ``long``: 2 000 examples per property, for a hunt before a release::

      HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py -q

The profile applies to the tests that decorate themselves with
:data:`PROFILE` (``@PROFILE`` above ``@given``), not globally: other test
modules keep their own settings. Hypothesis's own pytest option
``--hypothesis-profile=long`` selects it too.

The quick run (``pytest -m "not slow"``) tries a fifth of the examples of the
properties it keeps (:func:`examples`, and the ``quick`` profile for those that
set no count); the full run, what CI runs, tries them all.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                              HealthCheck.function_scoped_fixture],
    "print_blob": True,
}

settings.register_profile("ci", max_examples=50, **_COMMON)
settings.register_profile("long", max_examples=2000, **_COMMON)

QUICK_SHARE = 5
_quick = False


def quick_run(quick: bool) -> None:
    """Called by conftest.py before the tests are collected: whether this is the quick run
    (``-m "not slow"``). The quick run loads the ``quick`` profile: hypothesis's default
    count of examples, shared by ``QUICK_SHARE``."""
    global _quick
    _quick = quick
    if quick:
        settings.register_profile(
            "quick", max_examples=examples(settings.default.max_examples))
        settings.load_profile("quick")


def examples(full: int) -> int:
    """A property's count of examples: ``full`` in the full run, a fifth (at least 10) in
    the quick run."""
    return max(10, full // QUICK_SHARE) if _quick else full


def active_profile() -> str:
    """``HYPOTHESIS_PROFILE`` when set, else ``--hypothesis-profile`` when it names one of
    ours, else ``ci``."""
    chosen = os.environ.get("HYPOTHESIS_PROFILE")
    if chosen:
        return chosen
    current = settings.get_current_profile_name()
    return current if current in ("ci", "long") else "ci"


PROFILE = settings(settings.get_profile(active_profile()))
"""The settings of the active profile, as a decorator: ``@PROFILE`` above ``@given``."""
