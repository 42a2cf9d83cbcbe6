"""Languages: plugin catalogues, agenda texts by language, and activity frames that the
host sends each phone in its own language (one encoding per language)."""

from __future__ import annotations

import json
import sys

import pytest

import facilitation_kit as fk
from facilitation_kit.core import i18n
from facilitation_kit.core.agenda import AgendaError, parse_agenda
from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.testing import agenda_toml


@pytest.fixture
def catalogue_package(tmp_path, monkeypatch):
    """A throwaway package with locales/en.json and locales/fi.json."""
    pkg = tmp_path / "greeter_pkg"
    (pkg / "locales").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "locales" / "en.json").write_text(json.dumps({
        "label": "Your word", "help": "One word, {name}.",
        "cards": {"one": "{count} card", "other": "{count} cards"},
        "only_en": "Only in English"}), encoding="utf-8")
    (pkg / "locales" / "fi.json").write_text(json.dumps({
        "label": "Sanasi", "help": "Yksi sana, {name}.",
        "cards": {"one": "{count} kortti", "other": "{count} korttia"}}), encoding="utf-8")
    (pkg / "locales" / "pl.json").write_text(json.dumps({
        "cards": {"one": "{count} karta", "few": "{count} karty", "many": "{count} kart"}}),
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "greeter_pkg"
    sys.modules.pop("greeter_pkg", None)


def test_catalogue_lookup_falls_back_to_english_then_the_key(catalogue_package):
    t = fk.Catalogue(catalogue_package).t
    assert t("fi", "label") == "Sanasi"
    assert t("fi-FI", "help", name="Ana") == "Yksi sana, Ana."
    assert t("fi", "only_en") == "Only in English"
    assert t("sv", "label") == "Your word"          # no sv.json: English
    assert t("fi", "missing.key") == "missing.key"  # visible, never a crash
    assert t("en", "help") == "One word, {name}."   # a missing placeholder stays


def test_catalogue_plurals(catalogue_package):
    t = fk.Catalogue(catalogue_package).t
    assert [t("en", "cards", count=n) for n in (1, 2)] == ["1 card", "2 cards"]
    assert [t("fi", "cards", count=n) for n in (1, 5)] == ["1 kortti", "5 korttia"]
    assert [t("pl", "cards", count=n) for n in (1, 3, 5, 22, 12)] == [
        "1 karta", "3 karty", "5 kart", "22 karty", "12 kart"]


def test_agenda_text_tables_resolve_per_language():
    plugins = load_plugins()
    agenda = parse_agenda(agenda_toml([{
        "id": "q", "plugin": "open_question",
        "title": {"en": "Opening", "fi": "Avaus"},
        "prompt": {"fi": "Mikä on tärkeää?", "sv": "Vad är viktigt?"}}],
        language="fi", title={"en": "Workshop", "fi": "Työpaja"}), plugins)
    act = agenda.activities[0]
    assert agenda.title == "Työpaja" and act.title == "Avaus" and act.prompt == "Mikä on tärkeää?"
    assert act.text("prompt", "sv", "fi") == "Vad är viktigt?"
    assert act.text("prompt", "de", "fi") == "Mikä on tärkeää?"   # the agenda's language
    assert act.text("title", "de", "fi") == "Avaus"   # the agenda's language before English
    assert i18n.text({"en": "Hello", "sv": "Hej"}, "de", "fi") == "Hello"  # then English


def test_bad_text_table_names_the_field():
    with pytest.raises(AgendaError) as err:
        parse_agenda(agenda_toml([{"id": "q", "plugin": "open_question", "prompt": {"en": 3}}]),
                     load_plugins())
    assert err.value.field == "prompt" and "table of texts by language" in str(err.value)


def test_default_roles_have_plain_labels_in_every_language():
    agenda = parse_agenda(agenda_toml([{"id": "q", "plugin": "open_question"}]), load_plugins())
    assert agenda.role_labels("en")[:4] == ["I use this service", "I'm family or a friend",
                                            "I work with people in this service",
                                            "I manage or plan the service"]
    for code in fk.LANGUAGES:
        labels = agenda.role_labels(code)
        assert len(set(labels)) == len(labels) and all(labels)
        if code != "en":
            assert labels[0] != "I use this service", code
    assert agenda.role_named("Käytän tätä palvelua") == "Service user"


class Greeter(fk.ActivityType):
    name = "greeter_test"
    title = "Greeter"

    def __init__(self, package):
        self.catalogue = fk.Catalogue(package)

    def form(self, activity):
        T = self.catalogue
        return fk.Form([fk.TextField("word", label=T.t(activity.lang, "label"),
                                     help=T.t(activity.lang, "help", name=activity.title))])

    def validate(self, activity, data):
        if data["word"] == "no":
            raise fk.Invalid({"word": self.catalogue.t(activity.lang, "label") + "!"})


async def test_each_phone_gets_its_forms_in_its_language(workshop_host, catalogue_package):
    host = await workshop_host(agenda_toml([{"id": "g", "plugin": "greeter_test", "auto_open": True,
                                             "title": {"en": "Words", "fi": "Sanat"}}]),
                               activities=[Greeter(catalogue_package)])
    fi = await host.phone(lang="fi-FI", role="Käytän tätä palvelua")
    en = await host.phone(lang="en")
    de = await host.phone(lang="de")
    assert fi.welcome["activity"]["title"] == "Sanat"
    assert fi.welcome["activity"]["form"]["fields"][0]["label"] == "Sanasi"
    assert fi.welcome["activity"]["form"]["fields"][0]["help"] == "Yksi sana, Sanat."
    assert fi.welcome["session"]["role_labels"][0] == "Käytän tätä palvelua"
    assert fi.welcome["participant"]["role"] == "Service user"   # the role itself, not its label
    assert en.welcome["activity"]["form"]["fields"][0]["label"] == "Your word"
    assert de.welcome["activity"]["form"]["fields"][0]["label"] == "Your word"  # no de.json
    # a broadcast: each phone in its own language
    await host.open()
    for phone, label in ((fi, "Sanasi"), (en, "Your word")):
        frame = await phone.wait_activity("g", "open")
        assert frame["form"]["fields"][0]["label"] == label
    # a plugin's error in the phone's language
    error = await fi.submit({"word": "no"})
    assert error["type"] == "error" and error["fields"] == {"word": "Sanasi!"}
    # switching language re-renders the forms for that phone
    await en.send({"type": "profile", "name": None, "role": None, "lang": "fi"})
    reply = await en.expect("profile")
    assert reply["session"]["role_labels"][0] == "Käytän tätä palvelua"
    frame = await en.expect("activity")
    assert frame["activity"]["form"]["fields"][0]["label"] == "Sanasi"


def test_one_encoding_per_language():
    cache = i18n.FrameCache()
    view = {"id": "a", "title": "x"}
    first = cache.encoded(view, "fi")
    assert cache.encoded(view, "fi") is first
    assert cache.encoded({"id": "a", "title": "y"}, "fi") is not first
    assert json.loads(first) == {"type": "activity", "activity": view}


async def test_views_are_built_once_per_language_and_version(workshop_host, catalogue_package):
    calls = []

    class Counting(Greeter):
        name = "counting_test"

        def form(self, activity):
            calls.append(activity.lang)
            return super().form(activity)

    host = await workshop_host(agenda_toml([{"id": "g", "plugin": "counting_test"}]),
                               activities=[Counting(catalogue_package)])
    for _ in range(3):
        await host.phone(lang="fi")
    for _ in range(2):
        await host.phone(lang="en")
    base = list(calls)
    await host.open()  # one view per language in use, not per phone
    assert sorted(calls[len(base):]) == ["en", "fi"]
    assert base.count("fi") == 1
