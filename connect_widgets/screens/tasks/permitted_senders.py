"""Import Permitted Senders: upload a CSV of external addresses, see the count and the rows left out, import."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.permitted_senders import PermittedSendersTask
from connect_widgets.core.tasks.uploads import senders_template_csv
from connect_widgets.screens.kit import paragraph, primary_button
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView
from connect_widgets.screens.tasks.uploads import FileCheck, download_link


class PermittedSendersView(StepView):
    """Template, upload, "N addresses ready to import" with the row errors, Import."""

    labels = {"upload": "Upload your list of addresses", "review": "Review the addresses, then import them"}

    def __init__(self, page: TaskScreen) -> None:
        super().__init__(page, PermittedSendersTask(page.board))
        self.task: PermittedSendersTask
        self.senders_task = self.task
        self.intro = paragraph(
            "Upload a CSV file with one external address per row in a column named address: people and "
            "systems outside your organisation whose email you always want to receive. Every row is checked "
            "first; rows with problems are listed and left out."
        )
        self.template = widgets.HTML(
            "<p>Download the template: "
            + download_link("CSV", "connect-permitted-senders-template.csv", senders_template_csv(), "text/csv")
            + "</p>"
        )
        self.template.add_class("connect-text")
        self.ready = widgets.HTML()
        self.file = FileCheck(page, self.check_file, accept=".csv", clears=(self.ready,))
        self.summary_note = widgets.HTML()
        self.import_button = primary_button("Import", self.import_senders)

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        batch = self.senders_task.batch()
        imported = batch.imported or 0
        total = self.senders_task.sender_count()
        self.summary_note.value = (
            f"<p>✔ <b>{imported:,}</b> {'address was' if imported == 1 else 'addresses were'} imported"
            + (f" from {html.escape(batch.filename)}" if batch.filename else "")
            + f". Your account has {total:,} permitted {'sender' if total == 1 else 'senders'}.</p>"
        )
        return [self.summary_note]

    def step_upload(self, status: TaskStatus) -> list[widgets.Widget]:
        self.file.show(self.senders_task.batch())
        return [self.intro, self.template, self.file.picker]

    def step_review(self, status: TaskStatus) -> list[widgets.Widget]:
        parts = self.step_upload(status)
        if self.file.unusable:  # the file just chosen could not be used: nothing of the last one is offered
            return parts
        count = len(self.senders_task.batch().addresses)
        self.ready.value = (
            f"<p><b>{count:,}</b> {'address' if count == 1 else 'addresses'} ready to import.</p>"
            if count
            else "<p>No addresses are ready to import: correct the file and upload it again.</p>"
        )
        return [*parts, self.ready, self.file.errors, self.import_button]

    def check_file(self, name: object, content: object) -> None:
        self.senders_task.check_file(version=self.status.version, filename=name, content=content)

    def import_senders(self) -> None:
        self.page.submit(lambda: self.senders_task.import_senders(version=self.status.version))
