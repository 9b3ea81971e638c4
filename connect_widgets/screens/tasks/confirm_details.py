"""Confirm Your Details: check the account's details, confirm them or send corrections.

Both catalogue steps are on one page: the details to check (``review``) sit above
the tick and the buttons that confirm them or send corrections (``confirm``), so
there is no Back. While corrections wait for the Connect team the page says so.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.accounts.create import PLATFORMS, REGIONS
from connect_widgets.core.errors import InvalidInput
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.confirm_details import AccountDetails, ConfirmDetailsTask
from connect_widgets.screens.kit import paragraph, primary_button, secondary_button, text_field
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView


class ConfirmDetailsView(StepView):
    """Company, primary domain, platform and region; tick to confirm, or send for review."""

    labels = {"review": "Check your details", "confirm": "Confirm them, or send corrections for review"}
    goes_back = False  # one page for both steps

    def __init__(self, page: TaskScreen) -> None:
        super().__init__(page, ConfirmDetailsTask(page.board))
        self.task: ConfirmDetailsTask
        self.details_task = self.task
        self.note = widgets.HTML()
        self.company = text_field("Company name")
        self.primary_domain = text_field("Primary domain")
        self.platform = widgets.Dropdown(
            options=[(v, k) for k, v in PLATFORMS.items()], description="Platform", layout=widgets.Layout(width="22em")
        )
        self.region = widgets.Dropdown(
            options=[(v, k) for k, v in REGIONS.items()], description="Region", layout=widgets.Layout(width="22em")
        )
        self.platform.add_class("connect-field")
        self.region.add_class("connect-field")
        self.correct = widgets.Checkbox(description="These details are correct", indent=False)
        self.confirm_button = primary_button("Confirm details", self.confirm)
        self.review_button = secondary_button("Send for review", self.send_for_review)
        self.form = widgets.VBox(
            [
                paragraph(
                    "Check what we hold for your account. If something is wrong, correct it and "
                    "send it to the Connect team for review."
                ),
                self.company,
                self.primary_domain,
                self.platform,
                self.region,
                self.correct,
                widgets.HBox([self.confirm_button, self.review_button]),
            ]
        )

    @staticmethod
    def _facts(details: AccountDetails) -> str:
        return (
            f"{html.escape(details.company)} · {html.escape(details.primary_domain)} · "
            f"{html.escape(PLATFORMS.get(details.platform, details.platform))} · "
            f"{html.escape(REGIONS.get(details.region, details.region))}"
        )

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        self.note.value = f"<p><b>Confirmed:</b> {self._facts(self.details_task.details())}</p>"
        return [self.note]

    def waiting(self, status: TaskStatus) -> list[widgets.Widget]:
        changes = status.data.get("correction") or {}
        listed = ", ".join(f"{html.escape(k.replace('_', ' '))}: {html.escape(str(v))}" for k, v in changes.items())
        opens = [t.task.title for t in self.page.board.overview().tasks if status.task.key in t.task.prerequisites]
        following = (
            f" Once your details are confirmed, {html.escape(_joined(opens))} {'opens' if len(opens) == 1 else 'open'}."
            if opens
            else ""
        )
        self.note.value = (
            f"<p>Your corrections ({listed}) are with the Connect team. Their answer appears here.{following}</p>"
        )
        return [self.note]

    def step_review(self, status: TaskStatus) -> list[widgets.Widget]:
        details = self.details_task.details()
        if details.rejection:
            self.note.value = (
                f'<p class="connect-rejected"><b>The Connect team replied:</b> {html.escape(details.rejection)}</p>'
                "<p>The fields below keep the values you sent: correct them and send them for review again. "
                f"We still hold: {self._facts(details)}.</p>"
            )
        elif details.approved:
            self.note.value = "<p>The Connect team applied your corrections. Check them and confirm.</p>"
        else:
            self.note.value = ""
        shown = {**self._held(details), **details.rejected_values}  # a refused correction: what they sent
        self.company.value, self.primary_domain.value = shown["company"], shown["primary_domain"]
        if shown["platform"] in PLATFORMS:
            self.platform.value = shown["platform"]
        if shown["region"] in REGIONS:
            self.region.value = shown["region"]
        self.correct.value = False
        return [self.note, self.form]

    def step_confirm(self, status: TaskStatus) -> list[widgets.Widget]:
        """The same page: the confirm buttons sit under the details (the core never saves this step)."""
        return self.step_review(status)

    @staticmethod
    def _held(details: AccountDetails) -> dict[str, str]:
        return {
            "company": details.company,
            "primary_domain": details.primary_domain,
            "platform": details.platform,
            "region": details.region,
        }

    def _edited_fields(self) -> list[str]:
        """Labels of the fields that differ from the details we hold."""
        held = self._held(self.details_task.details())
        typed = {
            "company": self.company.value.strip(),
            "primary_domain": self.primary_domain.value.strip().lower(),
            "platform": self.platform.value,
            "region": self.region.value,
        }
        labels = {
            "company": "Company name",
            "primary_domain": "Primary domain",
            "platform": "Platform",
            "region": "Region",
        }
        return [labels[k] for k in labels if typed[k] != (held[k].lower() if k == "primary_domain" else held[k])]

    def confirm(self) -> None:
        if not self.correct.value:
            self.page.submit(self._needs_tick)
            return
        self.page.submit(self._confirm_held)

    def _confirm_held(self) -> None:
        edited = self._edited_fields()
        if edited:  # confirming would confirm what we hold, not what the fields show
            raise InvalidInput(
                f"You changed {' and '.join(edited)}: send your corrections for review, or put "
                "the values we hold back to confirm them.",
                field="company",
            )
        self.details_task.confirm(version=self.status.version)

    @staticmethod
    def _needs_tick() -> None:
        raise InvalidInput(
            'Tick "These details are correct" to confirm them, or send your corrections for review.', field="correct"
        )

    def send_for_review(self) -> None:
        self.page.submit(
            lambda: self.details_task.send_for_review(
                version=self.status.version,
                company=self.company.value,
                primary_domain=self.primary_domain.value,
                platform=self.platform.value,
                region=self.region.value,
            ),
            busy="Sending your corrections to the Connect team…",
        )


def _joined(titles: list[str]) -> str:
    """Titles joined the way a sentence lists them: "A", "A and B", "A, B and C"."""
    return " and ".join(titles) if len(titles) < 3 else f"{', '.join(titles[:-1])} and {titles[-1]}"
