"""Hypothesis strategies shared by the tests: EC2-like requests, credentials and regions."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from aioec2.credentials import Credentials

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"

# Characters that trip up encoders: reserved and unreserved marks, "%", "+", white space,
# non-ASCII letters and an emoji outside the BMP.
_AWKWARD = " ~*%+&=/?#:;,!'()$@[]\"\t-_.é中😀"

#: Text an EC2 parameter name or value may hold: any encodable character, awkward ones often.
wire_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(_AWKWARD), st.characters(codec="utf-8", exclude_categories=["Cs"])
    ),
    max_size=20,
)

action_names = st.from_regex(r"[A-Z][A-Za-z]{2,30}", fullmatch=True)

regions = st.one_of(
    st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]),
    st.from_regex(r"[a-z]{2}-[a-z]{4,9}-[1-9]", fullmatch=True),
)


@st.composite
def endpoint_urls(draw: st.DrawFn) -> str:
    """Draw an endpoint URL: AWS hosts, loopback with custom ports, explicit default ports."""
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(
        st.sampled_from(
            [
                "ec2.us-east-1.amazonaws.com",
                "ec2.cn-north-1.amazonaws.com.cn",
                "127.0.0.1",
                "localhost",
                "[::1]",
                "EC2.Example.COM",
            ]
        )
    )
    port = draw(st.one_of(st.none(), st.sampled_from([80, 443, 5123, 8773]), st.integers(1, 65535)))
    path = draw(st.sampled_from(["/", "", "/services/Cloud/", "/a//b/../c", "/x y/ü"]))
    # A query is rare on EC2 (the parameters travel in the body) but must sign right; it is
    # drawn already escaped, as a URL on the wire is.
    query = draw(st.dictionaries(wire_text, wire_text, max_size=3))
    netloc = host if port is None else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}" + (f"?{form_body(query).decode()}" if query else "")


def form_body(params: dict[str, str]) -> bytes:
    """Encode an EC2 query body as the SDK does: ``quote`` with only unreserved marks left bare."""
    return urlencode(params, quote_via=quote, safe="-_.~").encode()


@st.composite
def ec2_requests(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], dict[str, str]]:
    """Draw ``(url, headers, params)`` of an EC2 query POST; params hold Action and Version."""
    url = draw(endpoint_urls())
    params = {
        "Action": draw(action_names),
        "Version": "2016-11-15",
        **draw(st.dictionaries(wire_text.filter(bool), wire_text, max_size=6)),
    }
    headers = [("Content-Type", FORM_CONTENT_TYPE)]
    extra = st.sampled_from(
        [
            ("User-Agent", "aioec2/0.1 Python/3.11"),
            ("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"),
            ("My-Header", "  a   b\tc  "),
            ("my-header", "second"),
            ("X-Custom-Mixed-CASE", "VALUE"),
            ("Host", "ec2.internal.example:8443"),
        ]
    )
    headers += draw(st.lists(extra, max_size=3))
    return url, headers, params


credentials = st.builds(
    Credentials,
    access_key_id=st.from_regex(r"(AKIA|ASIA)[A-Z0-9]{16}", fullmatch=True),
    secret_access_key=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
    ),
    session_token=st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9+/]{8,60}={0,2}", fullmatch=True)),
)
