"""strip_mechanic_tags: Mechanic scripts become plain Liquid that stock python-liquid parses."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

import liquid
import pytest

from mechanic_kernel.liquid.render import strip_mechanic_tags


@dataclass
class Case:
    """A Mechanic script and its plain-Liquid form."""

    description: str
    source: str
    expect: str


TEST_CASES = [
    Case("inline action goes", 'a{% action "echo", x %}b', "ab"),
    Case(
        "block action keeps its body",
        '{% action "http" %}{"u": "{{ u }}"}{% endaction %}',
        '{"u": "{{ u }}"}',
    ),
    Case("log and error go", '{% log "x" %}{% error %}{{ e }}{% enderror %}', "{{ e }}"),
    Case("permissions go", "{% permissions %}read_orders{% endpermissions %}x", "x"),
    Case(
        "subscript assign",
        '{% assign h["k"] = 1 | plus: 1 %}',
        "{% assign _mechanic_discard = 1 | plus: 1 %}",
    ),
    Case(
        "limit as a name",
        "{% assign limit = 2 %}{% for x in a limit: limit %}{% endfor %}",
        "{% assign limit_ = 2 %}{% for x in a limit: limit_ %}{% endfor %}",
    ),
    Case("property named limit", "{{ x.limit }}", '{{ x["limit"] }}'),
    Case("strings untouched", '{{ "limit" }}', '{{ "limit" }}'),
    Case(
        "top-level break goes, loop break stays",
        "{% break %}{% for x in a %}{% if x %}{% break %}{% endif %}{% else %}{% break %}{% endfor %}"
        "{% liquid\nbreak %}",
        "{% for x in a %}{% if x %}{% break %}{% endif %}{% else %}{% endfor %}{% liquid%}",
    ),
    Case("raw untouched", "{% raw %}{% action %}{% endraw %}", "{% raw %}{% action %}{% endraw %}"),
    Case(
        "liquid tag lines",
        '{% liquid\n  assign h["a"] = 1\n  log "x"\n  action "echo"\n    echo "1"\n  endaction\n%}',
        '{% liquid\n  assign _mechanic_discard = 1\n    echo "1"\n%}',
    ),
]


@pytest.mark.parametrize("case", TEST_CASES, ids=attrgetter("description"))
def test_strip(case: Case) -> None:
    """Strip."""
    stripped = strip_mechanic_tags(case.source)
    assert stripped == case.expect
    liquid.Environment().from_string(stripped)
