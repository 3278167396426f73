"""A Kustomize overlay rendered as `kubectl apply -k` would render it, for the fields these manifests use:
`resources` (files and folders, in order), `components` (here, only to set `images`), and `images`.

No kustomize runs on the CI machines (kubectl is on some images, not all, and Go modules cannot be fetched),
and no Python library renders Kustomize. So the manifests keep to this subset, and this renders it; any other
field is refused, so a manifest that needs more cannot pass unnoticed. Where kubectl is present, the tests
compare this rendering with `kubectl kustomize`.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION = "kustomization.yaml"
KNOWN = {"apiVersion", "kind", "resources", "components", "images"}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    unknown = set(data) - KNOWN
    if unknown:
        raise ValueError(f"{path}: fields this renderer does not apply: {sorted(unknown)}")
    return data


def documents(path: Path) -> Iterator[dict[str, Any]]:
    for document in yaml.safe_load_all(path.read_text()):
        if document:
            yield document


def collect(folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The resources of a kustomization folder, and the image settings of it and its components."""
    kustomization = load(folder / KUSTOMIZATION)
    objects: list[dict[str, Any]] = []
    images: list[dict[str, str]] = list(kustomization.get("images", []))
    for entry in kustomization.get("resources", []):
        target = (folder / entry).resolve()
        if target.is_dir():
            found, inner_images = collect(target)
            objects += found
            images += inner_images
        else:
            objects += documents(target)
    for entry in kustomization.get("components", []):
        component = load((folder / entry).resolve() / KUSTOMIZATION)
        if component.get("kind") != "Component" or set(component) - {"apiVersion", "kind", "images"}:
            raise ValueError(f"{entry}: only components that set images are rendered")
        images += component.get("images", [])
    return objects, images


def _containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    pod = spec.get("template", {}).get("spec", {}) if "template" in spec else {}
    if "jobTemplate" in spec:
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    yield from pod.get("initContainers", [])
    yield from pod.get("containers", [])


def render(folder: Path) -> list[dict[str, Any]]:
    objects, images = collect(folder)
    by_name = {image["name"]: image for image in images}
    for document in objects:
        for container in _containers(document.get("spec", {})):
            name, _, tag = container["image"].partition(":")
            image = by_name.get(name)
            if image is not None:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"
    keys = [(document["kind"], document["metadata"]["name"]) for document in objects]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        raise ValueError(f"{folder}: defined twice: {sorted(duplicates)}")
    return objects
