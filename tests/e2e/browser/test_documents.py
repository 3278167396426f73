"""Documents as a person uses them: a PDF dragged onto the chat, its chip going to ready, a question the model
answers from it and cites (a small file goes in the prompt whole, numbered; the emulator's `cite=1` ends the
answer with `[1]`), the cited passage opened from its reference; an image pasted into the message field and
sent with the message."""

import base64
import re
import uuid

from playwright.sync_api import JSHandle, Page, expect

from stack.made_files import make_pdf, make_png
from stack.support import new_tag

from .test_chat import last_answer, send


def file_transfer(page: Page, name: str, media_type: str, content: bytes) -> JSHandle:
    """A `DataTransfer` holding one file, as a drag from the desktop or a paste carries it."""
    return page.evaluate_handle(
        """([name, type, data]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type }));
            return transfer;
        }""",
        [name, media_type, base64.b64encode(content).decode()],
    )


def test_a_dragged_pdf_is_read_then_asked_about_and_its_citation_opens_the_passage(page: Page) -> None:
    secret = f"heliotrope{uuid.uuid4().hex[:8]}"
    pdf = make_pdf([f"The vault code word is {secret}, kept by the night porter."])
    chat = page.get_by_role("region", name="Chat")
    transfer = file_transfer(page, "vault-report.pdf", "application/pdf", pdf)
    chat.dispatch_event("dragenter", {"dataTransfer": transfer})
    chat.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(page.get_by_test_id("drop-zone")).to_be_visible()
    chat.dispatch_event("drop", {"dataTransfer": transfer})
    expect(page.get_by_test_id("drop-zone")).to_have_count(0)

    chip = page.get_by_test_id("file-chip")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("vault-report.pdf")
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f-]+$"))  # the new chat's conversation was made for it
    expect(chip).to_have_attribute("data-state", "ready", timeout=60_000)
    expect(chip).to_contain_text("Ready")

    send(page, f"What is the vault code word?\n@emulator cite=1 tokens=8 tag={new_tag()}")
    expect(page.get_by_test_id("file-chip")).to_have_count(0)  # sent with the message
    question = page.get_by_test_id("user-turn").last
    expect(question.get_by_role("button", name="Open vault-report.pdf")).to_be_visible()

    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "done", timeout=30_000)
    reference = answer.get_by_test_id("citation-ref")
    expect(reference).to_have_count(1)
    expect(reference).to_be_visible()
    expect(reference).to_have_accessible_name("Source 1: vault-report.pdf")
    expect(answer.get_by_role("region", name="Sources")).to_contain_text("vault-report.pdf")

    reference.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Source 1")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("passage")).to_contain_text(secret)
    expect(dialog).to_contain_text("vault-report.pdf")
    expect(dialog.get_by_role("button", name="Open vault-report.pdf")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(reference).to_be_focused()

    page.reload()  # the saved answer shows the same references
    expect(last_answer(page).get_by_test_id("citation-ref")).to_have_count(1)
    expect(last_answer(page).get_by_role("region", name="Sources")).to_contain_text("vault-report.pdf")


def test_a_pasted_image_is_sent_with_the_message(page: Page) -> None:
    field = page.get_by_label("Message")
    transfer = file_transfer(page, "red.png", "image/png", make_png())
    field.evaluate(
        """(field, transfer) => {
            field.focus();
            field.dispatchEvent(
                new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
            );
        }""",
        transfer,
    )
    chip = page.get_by_test_id("file-chip")
    expect(chip).to_contain_text("red.png")
    expect(chip.locator("img")).to_be_visible()  # its picture, before it is sent
    expect(chip).to_have_attribute("data-state", "ready", timeout=30_000)  # images are not chunked
    expect(field).to_have_value("")  # the paste added a file, not text

    send(page, f"What do you see?\n@emulator tag={new_tag()}")
    expect(page.get_by_test_id("file-chip")).to_have_count(0)
    question = page.get_by_test_id("user-turn").last
    picture = question.get_by_role("button", name="Show red.png large")
    expect(picture.get_by_role("img", name="red.png")).to_be_visible()  # read back from the content route
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "done", timeout=30_000)
    expect(answer).to_contain_text("I see 1 image")  # the emulator names the images the model was sent

    picture.click()
    dialog = page.get_by_role("dialog", name="red.png")
    expect(dialog.get_by_role("img", name="red.png")).to_be_visible()
    page.keyboard.press("Escape")

    page.reload()  # the message keeps its image
    expect(page.get_by_test_id("user-turn").last.get_by_role("img", name="red.png")).to_be_visible()
