"""Reading CSV and XLSX uploads into rows, and the checks the import tasks share.

A file becomes an :class:`Upload`: its rows keyed by column (headers matched
case-insensitively, spaces, hyphens and underscores alike), each numbered as a
spreadsheet shows it (the header is row 1). Anything wrong with the file as a
whole (not CSV or XLSX, not UTF-8, too big, a required column missing) is one
:class:`InvalidInput`; anything wrong with a row is a :class:`RowError` the
task collects, so the admin sees every bad row at once.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connect_widgets.core.accounts.create import parse_domain
from connect_widgets.core.errors import InvalidInput

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000  # data rows, blank rows not counted
MAX_XLSX_UNPACKED_BYTES = 60 * 1024 * 1024  # an XLSX is a zip: refuse one that unpacks to far more
MAX_COLUMNS = 50
MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
ERRORS_KEPT = 1_000  # row errors saved on a task; the count is always exact

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls, or an XLSX saved with a password
_ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_FORMULA_START = ("=", "+", "-", "@")
_NAME_FORBIDDEN = set('<>"\\')


@dataclass(frozen=True)
class Column:
    """A column an import reads: its key, the header the template uses, other accepted headers."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class UploadedRow:
    number: int  # as a spreadsheet numbers it: the header is row 1
    values: dict[str, str]  # column key -> cell text, stripped ("" when empty)


@dataclass(frozen=True)
class Upload:
    filename: str
    kind: str  # "csv" | "xlsx"
    rows: tuple[UploadedRow, ...]
    headers: dict[str, str]  # column key -> the header as written in the file


@dataclass(frozen=True)
class RowError:
    """One problem with one row of an upload, in words the admin can act on."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class CheckedRows:
    """The outcome of checking an upload: the rows accepted and every row error."""

    accepted: list[dict[str, object]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0

    def task_data(self, upload: Upload) -> dict[str, object]:
        """The check as task data: the first :data:`ERRORS_KEPT` errors, their exact count, and the file.

        :meth:`CheckedFile.fields` reads it back.
        """
        return {
            "errors": [e.as_dict() for e in self.errors[:ERRORS_KEPT]],
            "error_count": len(self.errors),
            "file": {"name": upload.filename, "rows": self.rows_read, "accepted": len(self.accepted)},
        }


@dataclass(frozen=True)
class CheckedFile:
    """The file an import task checked last, as its page shows it; each task's batch adds its own rows."""

    errors: tuple[dict[str, Any], ...]  # {"row", "column", "message"}, the first ERRORS_KEPT
    error_count: int
    filename: str | None
    rows_read: int

    @staticmethod
    def fields(data: Mapping[str, Any]) -> dict[str, Any]:
        """This class's fields from the task data :meth:`CheckedRows.task_data` saved (empty before any file)."""
        file = data.get("file") or {}
        return {
            "errors": tuple(data.get("errors") or ()),
            "error_count": int(data.get("error_count") or 0),
            "filename": file.get("name"),
            "rows_read": int(file.get("rows") or 0),
        }


# --- reading files ------------------------------------------------------------------


def clean_filename(name: object) -> str:
    """The file's name for showing back: the last path part, printable, at most 100 characters."""
    text = name if isinstance(name, str) else ""
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return text.strip()[:100] or "upload"


def header_key(text: str) -> str:
    """``" First-Name "`` -> ``"first_name"``: how headers are compared."""
    return re.sub(r"[\s_\-]+", "_", text.strip().lower()).strip("_")


def read_upload(
    content: object,
    filename: object,
    *,
    columns: tuple[Column, ...],
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = MAX_ROWS,
) -> Upload:
    """Read an uploaded CSV or XLSX file into rows keyed by the given columns.

    The header is the first non-blank row; blank rows are skipped; columns not
    asked for are ignored.

    Raises:
        InvalidInput: the file as a whole cannot be used (the message says why and what to do).
    """
    if isinstance(content, memoryview | bytearray):
        content = bytes(content)
    if not isinstance(content, bytes):
        raise InvalidInput("Choose a file to upload.", field="file")
    name = clean_filename(filename)
    if not content:
        raise InvalidInput(f"{name} is empty. Fill in the template and upload it again.", field="file")
    if len(content) > max_bytes:
        raise InvalidInput(
            f"{name} is too big ({len(content) / 1_048_576:.1f} MB): upload at most "
            f"{max_bytes // 1_048_576} MB, splitting the list into several files if needed.",
            field="file",
        )
    extension = name.lower().rpartition(".")[2] if "." in name else ""
    if extension == "xlsx" or content.startswith(_XLSX_MAGIC):
        if extension == "csv":
            raise InvalidInput(
                f"{name} is an Excel workbook, not CSV text. Upload it as .xlsx, or save it from Excel as CSV UTF-8.",
                field="file",
            )
        kind, cells = "xlsx", _xlsx_rows(content, name)
    elif content.startswith(_OLE_MAGIC):
        raise InvalidInput(
            f"{name} is an old-style Excel file or is protected by a password. Save it as "
            "Excel Workbook (.xlsx) without a password, or as CSV UTF-8, and upload it again.",
            field="file",
        )
    elif extension == "csv":
        kind, cells = "csv", _csv_rows(content, name)
    else:
        raise InvalidInput(f"{name} is not a CSV or XLSX file. Use the template, saved as .csv or .xlsx.", field="file")
    return _keyed(cells, name=name, kind=kind, columns=columns, max_rows=max_rows)


def _csv_rows(content: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    if b"\x00" in content:
        raise InvalidInput(
            f"{name} holds binary data, not text. Save the list as CSV UTF-8 and upload it again.", field="file"
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{name} is not UTF-8 text. In Excel, choose Save As and the type "
            '"CSV UTF-8 (Comma delimited)", then upload it again.',
            field="file",
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
    except csv.Error as exc:
        raise InvalidInput(
            f"{name} could not be read as CSV near row {number + 1} ({exc}). Check that row's "
            "quotes, or save the file again from your spreadsheet.",
            field="file",
        ) from None


def _xlsx_rows(content: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # imported when an XLSX arrives: it is slow to import

    not_xlsx = InvalidInput(
        f"{name} is not a valid Excel workbook (.xlsx). Open it in Excel and save it "
        "again as Excel Workbook or as CSV UTF-8.",
        field="file",
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
                raise InvalidInput(
                    f"{name} holds too much data for one import. Split the list into several files.", field="file"
                )
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except InvalidInput:
        raise
    except Exception:  # openpyxl raises many kinds (zip, XML, KeyError) for a damaged file
        raise not_xlsx from None
    try:
        if not book.worksheets:
            raise not_xlsx
        sheet = book.worksheets[0]
        try:
            for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                yield number, [_cell_text(v) for v in values]
        except InvalidInput:
            raise
        except Exception:
            raise not_xlsx from None
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _keyed(
    cells: Iterable[tuple[int, list[str]]], *, name: str, kind: str, columns: tuple[Column, ...], max_rows: int
) -> Upload:
    wanted = {header_key(alias): c for c in columns for alias in (c.key, c.header, *c.aliases)}
    positions: dict[str, int] | None = None
    headers: dict[str, str] = {}
    rows: list[UploadedRow] = []
    for number, record in cells:
        if number > max_rows * 5:  # blank rows are skipped, but not without end
            raise InvalidInput(
                f"{name} has more than {max_rows * 5:,} rows, counting blank ones. Delete the "
                "rows under the list, or split it into smaller files.",
                field="file",
            )
        if not any(cell.strip() for cell in record):
            continue
        if positions is None:
            positions = {}
            for index, text in enumerate(record):
                column = wanted.get(header_key(text))
                if column is None:
                    continue
                if column.key in positions:
                    raise InvalidInput(
                        f"{name} has two {column.header} columns (row {number}). Keep one.", field="file"
                    )
                positions[column.key], headers[column.key] = index, text.strip()
            missing = [c.header for c in columns if c.required and c.key not in positions]
            if missing:
                expected = ", ".join(c.header for c in columns)
                raise InvalidInput(
                    f"{name} has no {' or '.join(missing)} column. The first row must name the columns, as in "
                    f"the template: {expected}.",
                    field="file",
                )
            continue
        if len(rows) >= max_rows:
            raise InvalidInput(
                f"{name} has more than {max_rows:,} rows. Split the list into files of at most "
                f"{max_rows:,} rows and upload them one at a time.",
                field="file",
            )
        values = {key: (record[i].strip() if i < len(record) else "") for key, i in positions.items()}
        rows.append(UploadedRow(number, values))
    if positions is None:
        raise InvalidInput(f"{name} is empty. Fill in the template and upload it again.", field="file")
    if not rows:
        raise InvalidInput(f"{name} has a header row but no rows under it.", field="file")
    for column in columns:
        headers.setdefault(column.key, column.header)
    return Upload(filename=name, kind=kind, rows=tuple(rows), headers=headers)


# --- cell checks ---------------------------------------------------------------------


def _unusable(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Cn", "Co") for ch in text)


def parse_mail_address(value: str) -> str:
    """A mailbox address as written in a file or typed, lower-cased, or :class:`InvalidInput`.

    Plain ``local@domain`` only: the local part printable ASCII (no spaces or
    quotes), at most 64 characters; the domain a valid (IDNA-encoded) domain name.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise InvalidInput("Enter an email address.", field="email")
    if _unusable(text):
        raise InvalidInput(
            "The email address contains characters that can't be used (such as control characters).", field="email"
        )
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidInput(f"The email address is too long: at most {MAX_EMAIL_LENGTH} characters.", field="email")
    if text.count("@") != 1:
        raise InvalidInput("Enter one email address with a single @, like jane@your-domain.example.", field="email")
    local, domain_text = text.split("@")
    if not local or not domain_text:
        raise InvalidInput("Enter an email address like jane@your-domain.example.", field="email")
    if len(local) > 64:
        raise InvalidInput("The part before @ is too long: at most 64 characters.", field="email")
    if not local.isascii():
        raise InvalidInput("Use only unaccented letters, digits and symbols before the @.", field="email")
    if not _ATEXT.match(local):
        raise InvalidInput(
            "The part before @ can use letters, digits and symbols such as . _ - + ' but no "
            'spaces, commas, quotes (") or brackets, and no dot at either end or two dots '
            "together.",
            field="email",
        )
    try:
        domain = parse_domain(domain_text, label="domain after @")
    except InvalidInput:
        raise InvalidInput(
            f"The domain after @ is not a valid domain name: {domain_text[:80]}.", field="email"
        ) from None
    address = f"{local.lower()}@{domain}"
    if len(address) > MAX_EMAIL_LENGTH:
        raise InvalidInput(f"The email address is too long: at most {MAX_EMAIL_LENGTH} characters.", field="email")
    return address


def parse_person_name(value: str, *, label: str, field: str) -> str:
    """A first or last name: any letters and punctuation except markup, no spreadsheet formulas.

    Empty is allowed (names are optional).
    """
    text = unicodedata.normalize("NFKC", value).strip()
    if _unusable(text) or any(ch in _NAME_FORBIDDEN for ch in text):
        raise InvalidInput(
            f"The {label} contains characters that can't be used (< > \" \\ or control characters).", field=field
        )
    if text.startswith(_FORMULA_START):
        raise InvalidInput(
            f"The {label} can't start with = + - or @ (a spreadsheet would read it as a formula).", field=field
        )
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The {label} is too long: at most {MAX_NAME_LENGTH} characters.", field=field)
    return text


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


def within(domain: str, domains: Iterable[str]) -> bool:
    """Whether ``domain`` is one of ``domains`` or a subdomain of one."""
    return any(domain == d or domain.endswith("." + d) for d in domains)


# --- templates ------------------------------------------------------------------------

USERS_TEMPLATE_ROWS = (
    ("email", "first_name", "last_name"),
    ("jane.smith@your-domain.example", "Jane", "Smith"),
    ("sam.jones@your-domain.example", "Sam", "Jones"),
)
SENDERS_TEMPLATE_ROWS = (
    ("address",),
    ("orders@supplier.example",),
    ("accounts@partner.example",),
)


def _csv_bytes(rows: tuple[tuple[str, ...], ...]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def users_template_csv() -> bytes:
    """The Add Users template as CSV UTF-8: the header and two example rows."""
    return _csv_bytes(USERS_TEMPLATE_ROWS)


def users_template_xlsx() -> bytes:
    """The Add Users template as an Excel workbook, the same rows as the CSV one."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Users"
    for row in USERS_TEMPLATE_ROWS:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABC", (36, 18, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def senders_template_csv() -> bytes:
    """The Import Permitted Senders template as CSV UTF-8."""
    return _csv_bytes(SENDERS_TEMPLATE_ROWS)
