"""The bundled 1992 catalogue holds every obligation of § 3 of the seed, as the issue lists them."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminarz.errors import ValidationError
from terminarz.law.catalogue import CatalogueSet, load_catalogues
from terminarz.law.periods import Period, PeriodKind
from terminarz.law.rules import DeadlineKind, IfNonWorking
from terminarz.paths import calendars_dir

M, Q, H, Y = PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.HALF_YEAR, PeriodKind.YEAR
NTH, FIXED = DeadlineKind.NTH_WORKING_DAY, DeadlineKind.FIXED

# id, citation, period kind, only these periods, deadline kind, n or day, months after, recipients
EXPECTED = [
    ("mpips-01.dzial-1@rup", "§ 3 ust. 1 pkt 1", M, (), NTH, 2, 1, ("wup",)),
    ("mpips-01.dzial-2@rup", "§ 3 ust. 1 pkt 1", Q, (), NTH, 2, 1, ("wup",)),
    ("mpips-01.zal-1@rup", "§ 3 ust. 1 pkt 2", Q, (), NTH, 5, 1, ("wup",)),
    ("mpips-01.zal-2@rup", "§ 3 ust. 1 pkt 3", H, (), NTH, 5, 1, ("wup",)),
    ("mpips-02@rup", "§ 3 ust. 1 pkt 4", M, (), NTH, 5, 1, ("wup",)),
    ("mpips-02.zal@rup", "§ 3 ust. 1 pkt 5", Y, (), FIXED, 18, 1, ("wup",)),
    ("mpips-03@ops", "§ 3 ust. 2", Y, (), FIXED, 30, 1, ("wzps",)),
    ("mpips-03a@ops", "§ 3 ust. 3", H, (1,), FIXED, 15, 1, ("wzps",)),
    ("mpips-01.dzial-1@wup", "§ 3 ust. 4 pkt 1", M, (), NTH, 3, 1, ("wus",)),
    ("mpips-01.dzial-2@wup", "§ 3 ust. 4 pkt 1", Q, (), NTH, 3, 1, ("wus",)),
    ("mpips-01.zal-1@wup", "§ 3 ust. 4 pkt 1", Q, (), NTH, 6, 1, ("wus",)),
    ("mpips-01.zal-2@wup", "§ 3 ust. 4 pkt 1", H, (), NTH, 6, 1, ("wus",)),
    ("mpips-02@wup", "§ 3 ust. 4 pkt 3", M, (), NTH, 7, 1, ("mpips-dz",)),
    ("mpips-02.zal@wup", "§ 3 ust. 4 pkt 3", Y, (), FIXED, 31, 1, ("mpips-dz",)),
    ("mpips-03@wzps", "§ 3 ust. 5 pkt 1", Y, (), FIXED, 15, 2, ("mpips-dps", "wus")),
    ("mpips-03a@wzps", "§ 3 ust. 5 pkt 2", H, (1,), FIXED, 25, 1, ("mpips-dps", "wus")),
]


@pytest.mark.parametrize(
    ("oid", "citation", "kind", "periods", "dkind", "value", "months_after", "recipients"),
    EXPECTED,
    ids=[row[0] for row in EXPECTED],
)
def test_dated_obligation(
    catalogues: CatalogueSet,
    oid: str,
    citation: str,
    kind: PeriodKind,
    periods: tuple[int, ...],
    dkind: DeadlineKind,
    value: int,
    months_after: int,
    recipients: tuple[str, ...],
):
    ob = catalogues.obligation(oid)
    assert ob is not None, f"{oid} missing from the catalogue"
    assert ob.basis.short() == citation
    assert ob.basis.quote, "every entry quotes the provision"
    assert ob.period_kind is kind
    assert ob.periods == periods
    assert ob.recipients == recipients
    assert ob.valid_from == Period.parse("1992-01")
    assert ob.valid_to is None
    assert ob.act.id == "mpips-1992"
    d = ob.deadline
    assert d is not None
    assert d.kind is dkind
    assert d.months_after == months_after
    if dkind is NTH:
        assert d.n == value
    else:
        assert d.day == value
        assert d.if_non_working is IfNonWorking.NEXT
        assert "art. 115 Kodeksu cywilnego" in d.shift_basis


def test_exactly_the_listed_obligations(catalogues: CatalogueSet):
    dated = {o.id for o in catalogues.obligations if o.deadline is not None}
    assert dated == {row[0] for row in EXPECTED}
    assert len(catalogues.obligations) == 18  # plus the two undated § 3 ust. 4 pkt 2 duties


@pytest.mark.parametrize("level", ["rup", "wup"])
def test_undated_duty_from_july_1992(catalogues: CatalogueSet, level: str):
    ob = catalogues.obligation(f"mpips-01.zbiorcze@{level}")
    assert ob is not None
    assert ob.deadline is None
    assert ob.basis.short() == "§ 3 ust. 4 pkt 2"
    assert ob.valid_from == Period.parse("1992-07"), "§ 7: in force from 1 July 1992"
    assert ob.applies_to(Period.parse("1992-07"))
    assert not ob.applies_to(Period.parse("1992-06"))


def test_act_title_status_and_provenance(catalogues: CatalogueSet):
    (catalogue,) = catalogues.catalogues
    act = catalogue.act
    assert act.title.startswith("Zarządzenie nr 4 Ministra Pracy i Polityki Socjalnej")
    assert act.published == "Dz.Urz.MPiPS.1992.2.3"
    assert "utracił moc" in act.status
    assert {p.paragraph for p in catalogue.provenance} == {"6", "7"}
    assert all(o.act == act for o in catalogue.obligations)


def test_parties(catalogues: CatalogueSet):
    assert catalogues.levels == ["ops", "rup", "wup", "wzps"]
    assert catalogues.party_name("wus") == "wojewódzki urząd statystyczny"
    assert catalogues.party_name("nobody") == "nobody"
    used = {o.level for o in catalogues.obligations} | {
        r for o in catalogues.obligations for r in o.recipients
    }
    assert used <= set(catalogues.parties)


def test_select_by_glob(catalogues: CatalogueSet):
    assert [o.id for o in catalogues.select(["mpips-03*"])] == [
        "mpips-03@ops", "mpips-03a@ops", "mpips-03@wzps", "mpips-03a@wzps",
    ]  # fmt: skip
    assert catalogues.select(["nothing*"]) == []


def test_loading_the_same_file_twice_reports_the_duplicates(tmp_path: Path):
    bundled = calendars_dir() / "mpips-1992.toml"
    copy = tmp_path / "kopia.toml"
    copy.write_bytes(bundled.read_bytes())
    with pytest.raises(ValidationError) as info:
        load_catalogues([bundled, copy])
    assert len(info.value.problems) == 18
    assert all(p.path == copy for p in info.value.problems)
