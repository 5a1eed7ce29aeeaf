"""``ropa init``: a small, valid record for a new organisation, to fill in and grow.

The files are rendered from the Jinja templates in ``reports/init/`` with the names and labels of the chosen
language (``init.*`` phrases of the message catalogues), and the country and supervisory authority from reference
data. The record validates at once; its only findings are the placeholders it asks the user to fill (an example
e-mail address, a missing authority where the reference data has none, a public authority's data protection officer
not yet designated).

Nothing is written until every file is rendered: the files are staged in a temporary folder beside the target and
then moved into place, so a failure leaves the target as it was.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ropa import resources
from ropa.resources import LANGUAGES
from ropa.errors import RopaError
from ropa.namespaces import PREFIXES

ROLES = ("controller", "processor", "both")

TEMPLATES: tuple[tuple[str, str, str], ...] = (
    # template in reports/init/, file written, roles that get it
    ("organisation.ttl.j2", "organisation.ttl", "controller processor both"),
    ("activities.ttl.j2", "activities.ttl", "controller both"),
    ("services.ttl.j2", "services.ttl", "processor both"),
    ("waivers.toml.j2", "waivers.toml", "controller processor both"),
    ("README.md.j2", "README.md", "controller processor both"),
    ("ci.yml.j2", ".github/workflows/ropa.yml", "controller processor both"),
    ("pre-commit-config.yaml.j2", ".pre-commit-config.yaml", "controller processor both"),
)

_COUNTRIES = """
SELECT ?country ?label ?authority WHERE {
  ?country ropa:eeaMember ?eea .
  FILTER NOT EXISTS { ?country a dpv:SupraNationalUnion }   # a region (the EU, the EEA) is no country
  OPTIONAL { ?country rdfs:label ?label FILTER(LANG(?label) = "en") }
  OPTIONAL {
    ?authority a eu-gdpr:DataProtectionAuthority ; dpv:hasJurisdiction ?country .
    FILTER NOT EXISTS { ?authority dpv:hasJurisdiction loc:EU }
  }
}"""
"""The countries of the reference data (EEA and others) and the national supervisory authority where it is known."""

_LABELS = ("record", "dpo", "dpo_unknown", "payroll", "payroll_purpose", "tax_authorities", "payroll_retention", "service",
           "service_purpose", "customer", "customer_agreement", "readme_title", "readme_intro", "readme_file",
           "readme_holds", "readme_organisation", "readme_activities", "readme_services", "readme_waivers",
           "readme_ci", "readme_validate", "readme_terms", "readme_terms_example", "readme_build", "terms_consent_example",
           "terms_email_example", "hook_name", "waiver_accepted_by", "waiver_reason")

COMMENT_WIDTH = 118
"""The widest line a starter file's comment takes (its indent and ``# `` included)."""


@dataclass(frozen=True)
class Country:
    curie: str
    label: str
    authority: str | None


@dataclass
class InitResult:
    folder: Path
    written: list[Path]
    replaced: list[Path]


def countries() -> dict[str, Country]:
    """ISO code -> the country of the reference data (data/reference/countries.ttl)."""
    from ropa.namespaces import shorten

    found: dict[str, Country] = {}
    for row in _reference().select(_COUNTRIES):
        code = row["country"].rsplit("#", 1)[-1]
        authority = shorten(row["authority"]) if row["authority"] else None
        previous = found.get(code)
        if previous is None or (authority and not previous.authority) or (authority and authority < previous.authority):
            found[code] = Country(curie=f"loc:{code}", label=row["label"] or code, authority=authority)
    return found


@functools.lru_cache(maxsize=1)
def _reference():
    """The shipped vocabulary and reference data, loaded once (read only)."""
    from ropa.load import load

    return load([], check_terms=False)


def slug(name: str) -> str:
    """A lower-case name of letters, digits and hyphens for e-mail domains (``Acme BV`` -> ``acme-bv``)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()   # Süd -> Sud, not S-d
    text = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return text if text[:1].isalpha() else f"org-{text}".rstrip("-")


def plan(org: str, country: str, lang: str = "en", role: str = "controller", public_authority: bool = False
         ) -> dict[str, str]:
    """The files of a new record (relative path -> text), or a RopaError naming the option that is wrong.

    A public authority or body (``public_authority``) is typed ``dpv:PublicSectorBody``, the kind the Art. 37(1)(a)
    and Art. 6(1) second-subparagraph checks read (with ``dpv:GovernmentalOrganisation`` and narrower). It must
    designate a data protection officer, whom a new record cannot know: the officer's description is there to fill
    in, labelled as not yet designated, and the organisation's link to it is left commented out, so that
    ``rs:PublicAuthority-dpo`` reports the missing officer until someone is named."""
    name = " ".join(org.split())
    if not name:
        raise RopaError("--org is empty: give the organisation's name, e.g. --org \"Acme BV\"")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        raise RopaError("--org contains a control character; give the name as it is written")
    if lang not in LANGUAGES:
        raise RopaError(f"unknown language '{lang}'; choose one of {', '.join(LANGUAGES)}")
    if role not in ROLES:
        raise RopaError(f"unknown role '{role}'; choose one of {', '.join(ROLES)}")
    known = countries()
    code = country.strip().upper()
    if code not in known:
        raise RopaError(f"unknown country code '{country}'{_country_hint(country, known)}")
    chosen = known[code]
    from ropa.register import Labels, Messages

    t = Messages(lang)
    short = slug(name)

    def note(key: str, indent: int = 0, **values) -> str:
        """A comment of the catalogue (``init.note.KEY``) in the record's language, as ``# `` lines that fit."""
        return comment(t(f"init.note.{key}", name=name, **values), indent)

    context = {
        "name": name,
        "lang": lang,
        "note": note,
        "note_text": lambda key: t(f"init.note.{key}", name=name),
        "labels": {key: t(f"init.{key}", name=name) for key in _LABELS},
        "base": f"https://{short}.example/record/",
        "country": chosen.curie,
        "country_label": Labels(_reference(), lang)[PREFIXES["loc"] + code],
        "authority": chosen.authority,
        # the authority's namespace (legal-de:, legal-fr:, ...), declared with the record's other prefixes
        "authority_prefix": chosen.authority.split(":", 1)[0] if chosen.authority else None,
        "authority_namespace": PREFIXES.get(chosen.authority.split(":", 1)[0]) if chosen.authority else None,
        "contact_email": f"privacy@{short}.example",
        "dpo_email": f"dpo@{short}.example",
        "customer_email": "privacy@customer.example",
        "controller": role in ("controller", "both"),
        "processor": role in ("processor", "both"),
        "public_authority": public_authority,
        "today": dt.date.today().isoformat(),
        "next_year": (dt.date.today() + dt.timedelta(days=365)).isoformat(),
    }
    environment = _environment()
    files = {}
    for template, target, roles in TEMPLATES:
        if role in roles.split():
            files[target] = environment.get_template(template).render(context).rstrip("\n") + "\n"
    return files


def init(folder: str | Path, org: str, country: str, *, lang: str = "en", role: str = "controller",
         public_authority: bool = False, force: bool = False) -> InitResult:
    """Write a new record into ``folder``: refused if the folder is not empty unless ``force``; atomic per file."""
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise RopaError("exists and is not a folder", path=str(target))
    if target.is_dir() and any(target.iterdir()) and not force:
        raise RopaError("the folder is not empty; choose a new folder, or add --force to add the record's files to it",
                        path=str(target))
    files = plan(org, country, lang, role, public_authority)
    replaced = [target / name for name in files if (target / name).exists()]
    for path in replaced:
        if not path.is_file():
            raise RopaError("exists and is not a file", path=str(path))
    parent = target.resolve().parent
    if not parent.is_dir():
        raise RopaError("the folder to create it in does not exist", path=str(parent))
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=parent))
    try:
        for name, text in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if not target.exists():
            os.replace(staging, target)
        else:
            for name in files:
                destination = target / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / name, destination)
    except OSError as error:
        raise RopaError(f"cannot write: {error.strerror}", path=str(target)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InitResult(folder=target, written=[target / name for name in files], replaced=replaced)


def _country_hint(text: str, known: dict[str, Country]) -> str:
    from ropa.terms import vocabulary

    term = vocabulary().resolve(text, kind="country")
    if term is not None and term.curie.removeprefix("loc:") in known:
        return f" (did you mean {term.curie.removeprefix('loc:')}?)"
    return f"; use a two-letter ISO code such as NL, BE or DE ({len(known)} countries are known)"


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(resources.reports_dir() / "init")),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters["literal"] = turtle_literal
    environment.filters["markdown"] = _markdown
    environment.filters["quoted"] = lambda text: json.dumps(str(text), ensure_ascii=False)  # a YAML or TOML string
    return environment


def comment(text: str, indent: int = 0) -> str:
    """Text as comment lines of at most ``COMMENT_WIDTH`` characters, each ``indent`` spaces and ``# ``; a
    `quoted command` is never split across lines."""
    words = re.findall(r"\S*`[^`]*`\S*|\S+", text)
    lead = " " * indent + "# "
    lines, line = [], ""
    for word in words:
        if line and len(lead) + len(line) + 1 + len(word) > COMMENT_WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lead + line for line in lines)


def turtle_literal(text: str, lang: str | None = None) -> str:
    """A Turtle string literal (quotes, backslashes and line breaks escaped), with a language tag if given."""
    escaped = (str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t"))
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


def _markdown(text: str) -> str:
    from ropa.render import markdown_text

    return str(markdown_text(text))

