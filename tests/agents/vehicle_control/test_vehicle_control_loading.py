"""Loading the sentence templates is cheap after the first time in a process: one parser per grammar
file, the C YAML loader where PyYAML has it, and template expressions compiled when first reached."""

from __future__ import annotations

import yaml
from hassil import Intents, recognize_best

from agents.hosting import templates as hosting_templates
from agents.hosting.templates import YAML_LOADER, TemplateIndex
from agents.navigation.grammar import SENTENCES as NAVIGATION_SENTENCES
from agents.perception.grammar import SENTENCES as PERCEPTION_SENTENCES
from agents.vehicle_control.parser import GRAMMAR, shared_parser
from orchestrator.routing.templates import TemplateSet


def test_one_parser_per_grammar_and_process() -> None:
    assert shared_parser() is shared_parser(GRAMMAR)
    parse = shared_parser().parse("set it to 22", seat="driver")
    assert parse.actions and not parse.unmatched


def test_the_fast_loader_reads_the_packaged_files_as_the_pure_one_does() -> None:
    if yaml.__with_libyaml__:
        assert YAML_LOADER is yaml.CSafeLoader
    folders = (GRAMMAR, NAVIGATION_SENTENCES, PERCEPTION_SENTENCES)
    paths = sorted(path for folder in folders for path in folder.glob("*.yaml"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=YAML_LOADER) == yaml.safe_load(text), path


def _intents() -> Intents:
    return Intents.from_dict(
        {
            "language": "en",
            "intents": {
                "LoadingProbeOpen": {"data": [{"sentences": ["open the zanzibar hatch [now]"]}]},
                "LoadingProbeClose": {"data": [{"sentences": ["close the quixotic hatch"]}]},
            },
        }
    )


def test_an_expression_is_compiled_when_a_text_first_reaches_it() -> None:
    intents = _intents()
    index = TemplateIndex(intents)
    sources = {block.intent: block.patterns[0] for block in index._blocks}
    assert all(source is not None for source in sources.values())
    assert not any(source in hosting_templates._COMPILED for source in sources.values())
    found = index.recognize_best("open the zanzibar hatch now")
    assert found is not None and found.intent.name == "LoadingProbeOpen"
    assert sources["LoadingProbeOpen"] in hosting_templates._COMPILED
    # The close template begins with another word: no text reached it, so it was never compiled.
    assert sources["LoadingProbeClose"] not in hosting_templates._COMPILED
    for text in ("open the zanzibar hatch", "close the quixotic hatch", "open the quixotic hatch"):
        direct = recognize_best(text, intents)
        indexed = index.recognize_best(text)
        assert (direct and direct.intent.name) == (indexed and indexed.intent.name), text


def test_an_expression_re_cannot_compile_is_left_to_hassil() -> None:
    assert hosting_templates._regex("(unbalanced") is None
    assert "(unbalanced" in hosting_templates._COMPILED


def test_templates_read_the_same_without_warming_up() -> None:
    cold, warm = TemplateSet.load(warm=False), TemplateSet.load()
    for text in ("set the temperature to 21", "find me a charger", "what's in my blind spot", "hello"):
        assert cold.match(text) == warm.match(text), text
