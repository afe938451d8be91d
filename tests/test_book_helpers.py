"""coursekit.book's helpers: reading the repository URL from _config.yml or from the package metadata,
and the setup cell. (tests/test_book.py checks the committed notebooks against them.)"""
import importlib.metadata

import pytest

from coursekit import book


def _config(tmp_path, text):
    path = tmp_path / "_config.yml"
    path.write_text(text)
    return path


def test_repository_url_reads_the_config_it_is_given_without_quotes_or_comment(tmp_path):
    path = _config(tmp_path, 'title: x\nrepository:\n  url: "https://example.org/course"  # the course\n  branch: main\n')
    assert book.repository_url(path) == "https://example.org/course"


def test_repository_url_reads_the_top_level_repository_section_only(tmp_path):
    path = _config(tmp_path, "launch:\n  binder_repository:\n    url: https://wrong.org\n"
                             "repository:\n  url: https://right.org\n")
    assert book.repository_url(path) == "https://right.org"


@pytest.mark.parametrize("text, says", [("title: x\n", "expected a 'repository:' section with a 'url:' entry"),
                                        ("repository:\n  branch: main\n", "the 'repository:' section has no 'url:' entry")])
def test_repository_url_names_what_the_config_lacks(tmp_path, text, says):
    with pytest.raises(ValueError, match=says):
        book.repository_url(_config(tmp_path, text))


def test_a_config_asked_for_but_missing_is_an_error_not_the_installed_url(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file"):   # not the fallback's "names no" error
        book.repository_url(tmp_path / "_config.yml")


class _Metadata:
    def __init__(self, urls):
        self.urls = urls

    def get_all(self, key):
        return self.urls if key == "Project-URL" else None


def test_the_installed_url_is_found_by_its_label_in_any_case(monkeypatch, tmp_path):
    monkeypatch.setattr(book, "ROOT", tmp_path)          # no _config.yml: an installed coursekit
    monkeypatch.setattr(importlib.metadata, "metadata",
                        lambda name: _Metadata(["Homepage, https://home.org", "repository , https://repo.org"]))
    assert book.repository_url() == "https://repo.org"


def test_without_config_or_installed_metadata_the_error_says_to_reinstall(monkeypatch, tmp_path):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(book, "ROOT", tmp_path)
    monkeypatch.setattr(importlib.metadata, "metadata", missing)
    with pytest.raises(FileNotFoundError, match="names no Repository URL: reinstall it from the course repository"):
        book.repository_url()


def test_an_installed_coursekit_without_config_takes_the_repository_from_its_metadata(monkeypatch, tmp_path):
    url = book.repository_url()
    monkeypatch.setattr(book, "ROOT", tmp_path)          # site-packages: no _config.yml around it
    assert book.repository_url() == url


def test_the_setup_cell_installs_coursekit_without_git():
    # `pip install git+https://...` fails where git is missing (a Windows laptop, often)
    cell = book.setup_cell("https://github.com/owner/course")
    assert "git+" not in cell
    assert '"coursekit @ https://github.com/owner/course/archive/refs/heads/main.zip"' in cell
