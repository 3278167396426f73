"""The install leaves out what Semantic Kernel requires but chat never runs (scipy, its realtime audio: aiortc
with PyAV, its Handlebars prompt templates: pybars4 with PyMeta3), and everything the product calls still imports
and works (see chat_api.sk_left_out)."""

import importlib
import importlib.metadata
import sys

import openai
import pytest

from chat_api.sk_left_out import LeftOut

LEFT_OUT = ("aiortc", "av", "scipy", "pybars4", "pymeta3")


@pytest.mark.parametrize("distribution", LEFT_OUT)
def test_the_install_leaves_it_out(distribution: str) -> None:
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution(distribution)


def test_the_chat_and_embedding_services_build_without_them() -> None:
    from semantic_kernel.connectors.ai.open_ai import (
        AzureChatCompletion,
        AzureTextEmbedding,
        OpenAIChatCompletion,
        OpenAITextEmbedding,
    )

    azure = openai.AsyncAzureOpenAI(azure_endpoint="http://127.0.0.1:9", api_key="k", api_version="2024-10-21")
    other = openai.AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key="k")
    assert AzureChatCompletion(deployment_name="chat", async_client=azure).ai_model_id == "chat"
    assert OpenAIChatCompletion(ai_model_id="chat", async_client=other).ai_model_id == "chat"
    assert AzureTextEmbedding(deployment_name="embed", async_client=azure).ai_model_id == "embed"
    assert OpenAITextEmbedding(ai_model_id="embed", async_client=other).ai_model_id == "embed"
    assert "scipy" not in sys.modules


def test_realtime_audio_says_plainly_that_it_is_not_there() -> None:
    aiortc = importlib.import_module("aiortc")  # as Semantic Kernel's connector imports them
    audio_frame = importlib.import_module("av.audio.frame")

    with pytest.raises(LeftOut, match=r"aiortc is not installed .* realtime audio"):
        aiortc.RTCPeerConnection()
    with pytest.raises(LeftOut):
        audio_frame.AudioFrame()


def test_handlebars_templates_say_plainly_that_they_are_not_there() -> None:
    from semantic_kernel.prompt_template import HandlebarsPromptTemplate, PromptTemplateConfig

    config = PromptTemplateConfig(template="Hello {{name}}", template_format="handlebars")
    with pytest.raises(LeftOut, match=r"pybars is not installed .* Handlebars prompt templates"):
        HandlebarsPromptTemplate(prompt_template_config=config)
