"""Reading CSV and XLSX uploads and checking their rows: every bad row reported by number, whole-file refusals."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import pytest
from openpyxl import Workbook
from sqlmodel import select

from connect_widgets.core import errors
from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.core.tasks.add_users import USER_COLUMNS, AddUsersTask, check_users
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.permitted_senders import SENDER_COLUMNS, PermittedSendersTask, check_senders
from connect_widgets.core.tasks.uploads import (
    ERRORS_KEPT,
    MAX_ROWS,
    parse_mail_address,
    read_upload,
    senders_template_csv,
    users_template_csv,
    users_template_xlsx,
)
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AdminUser, MailUser, PermittedSender
from tests.conftest import START, verify_domain

DOMAINS = ("acme.example",)
EXISTING = {"already@acme.example"}
SQL_NAME = "Robert'); DROP TABLE mail_users;--"

# Good rows and every kind of bad row; (spreadsheet row, column, message start) for each bad one.
ROWS = [
    ("email", "first_name", "last_name"),
    ("Jane.Smith@ACME.example", "Jane", "Smith"),  # 2 good (lower-cased)
    ("not-an-address", "No", "At"),  # 3
    ("jo@other.example", "Jo", "Other"),  # 4
    ("jane.smith@acme.example", "Jane", "Again"),  # 5 duplicate of 2
    ("already@acme.example", "Al", "Ready"),  # 6
    ("long@acme.example", "x" * 101, "Long"),  # 7
    ("markup@acme.example", "Mark", "<script>alert(1)</script>"),  # 8
    ("formula@acme.example", "@SUM(1+1)", "F"),  # 9
    ("two@@acme.example", "Two", "Ats"),  # 10
    ("has space@acme.example", "Has", "Space"),  # 11
    ("", "", ""),  # 12 blank: skipped
    ("", "Nobody", "Here"),  # 13
    ("sam@sales.acme.example", "Sam", "Sub"),  # 14 good: subdomain of a verified domain
    ("o'brien@acme.example", SQL_NAME, "O'Brien"),  # 15 good: stored literally
    ("nodot@acme", "No", "Tld"),  # 16
    ("zoe@acme.example", "Zoë", "Núñez"),  # 17 good
    ("jérôme@acme.example", "Jérôme", "Accent"),  # 18
]
EXPECTED_ERRORS = [
    (3, "email", "Enter one email address with a single @"),
    (4, "email", "other.example is not one of your verified domains"),
    (5, "email", "Duplicate of row 2."),
    (6, "email", "Already a user of your account."),
    (7, "first_name", "The first name is too long"),
    (8, "last_name", "The last name contains characters that can't be used"),
    (9, "first_name", "The first name can't start with = + - or @"),
    (10, "email", "Enter one email address with a single @"),
    (11, "email", "The part before @ can use letters, digits"),
    (13, "email", "Enter an email address."),
    (16, "email", "The domain after @ is not a valid domain name"),
    (18, "email", "Use only unaccented letters"),
]
GOOD = ["jane.smith@acme.example", "sam@sales.acme.example", "o'brien@acme.example", "zoe@acme.example"]


def csv_bytes(rows, *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append([cell if cell != "" else None for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def reported(result) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]


def assert_errors(result, expected) -> None:
    got = reported(result)
    assert [(r, c) for r, c, _ in got] == [(r, c) for r, c, _ in expected], got
    for (_, _, message), (_, _, start) in zip(got, expected, strict=True):
        assert message.startswith(start), (message, start)


# --- reading and checking, no database --------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_good_rows_are_accepted_and_every_bad_row_is_reported_by_number(kind):
    content = csv_bytes(ROWS) if kind == "csv" else xlsx_bytes(ROWS)
    upload = read_upload(content, f"users.{kind}", columns=USER_COLUMNS)
    assert upload.kind == kind
    result = check_users(upload, domains=DOMAINS, existing=EXISTING)
    assert [u["email"] for u in result.accepted] == GOOD
    assert [u["row"] for u in result.accepted] == [2, 14, 15, 17]
    assert result.accepted[2]["first_name"] == SQL_NAME
    assert result.accepted[3]["first_name"] == "Zoë"
    assert result.rows_read == len(ROWS) - 2  # header and the blank row
    assert_errors(result, EXPECTED_ERRORS)


def test_a_control_character_in_a_cell_is_a_row_error():
    rows = [("email", "first_name"), ("bell@acme.example", "Ding\x07dong"), ("ok@acme.example", "Ok")]
    result = check_users(read_upload(csv_bytes(rows), "u.csv", columns=USER_COLUMNS), domains=DOMAINS, existing=())
    assert_errors(result, [(2, "first_name", "The first name contains characters that can't be used")])
    assert [u["email"] for u in result.accepted] == ["ok@acme.example"]


def test_a_user_added_by_hand_is_a_duplicate_for_the_file():
    rows = [("email",), ("hand@acme.example",)]
    result = check_users(
        read_upload(csv_bytes(rows), "u.csv", columns=USER_COLUMNS),
        domains=DOMAINS,
        existing=(),
        staged=["hand@acme.example"],
    )
    assert reported(result) == [(2, "email", "Already added by hand.")]


def test_headers_match_whatever_the_case_spaces_or_order_and_a_bom_and_semicolons_are_fine():
    text = "\ufeffLast Name;E-Mail;FIRST_NAME;Department\nSmith;jane@acme.example;Jane;Sales\n"
    upload = read_upload(text.encode("utf-8"), "users.csv", columns=USER_COLUMNS)
    assert upload.rows[0].values == {"email": "jane@acme.example", "first_name": "Jane", "last_name": "Smith"}
    assert upload.headers["email"] == "E-Mail"


def test_the_name_columns_are_optional():
    upload = read_upload(b"email\r\njane@acme.example\r\n", "users.csv", columns=USER_COLUMNS)
    result = check_users(upload, domains=DOMAINS, existing=())
    assert result.accepted == [{"email": "jane@acme.example", "first_name": "", "last_name": "", "row": 2}]


def test_the_templates_read_back_as_their_example_rows():
    for content, name in ((users_template_csv(), "t.csv"), (users_template_xlsx(), "t.xlsx")):
        upload = read_upload(content, name, columns=USER_COLUMNS)
        assert [r.values["email"] for r in upload.rows] == [
            "jane.smith@your-domain.example",
            "sam.jones@your-domain.example",
        ]
    senders = read_upload(senders_template_csv(), "s.csv", columns=SENDER_COLUMNS)
    assert [r.values["address"] for r in senders.rows] == ["orders@supplier.example", "accounts@partner.example"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("email\njérôme@acme.example\n".encode("latin-1"), "users.csv", "users.csv is not UTF-8 text"),
        (b"email\njane@acme.example\x00\n", "users.csv", "users.csv holds binary data"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "photo.csv holds binary data"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "users.xlsx", "users.xlsx is not a valid Excel workbook"),
        (b"PK\x03\x04 truncated zip", "users.xlsx", "users.xlsx is not a valid Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "users.xls", "users.xls is an old-style Excel file"),
        (b"email\njane@acme.example\n", "users.txt", "users.txt is not a CSV or XLSX file"),
        (b"", "users.csv", "users.csv is empty"),
        (b"\r\n\r\n", "users.csv", "users.csv is empty"),
        (b"email,first_name\r\n", "users.csv", "users.csv has a header row but no rows under it"),
        (b"name,phone\r\nJane,0123\r\n", "users.csv", "users.csv has no email column"),
        (b"email,Email\r\na@acme.example,b@acme.example\r\n", "users.csv", "users.csv has two email columns"),
        (b'email\r\n"' + b"x" * 200_000 + b'"\r\n', "users.csv", "users.csv could not be read as CSV"),
        (None, "users.csv", "Choose a file to upload."),
        ("email\njane@acme.example", "users.csv", "Choose a file to upload."),
    ],
)
def test_an_unusable_file_is_one_clear_error(content, name, message):
    with pytest.raises(errors.InvalidInput) as refused:
        read_upload(content, name, columns=USER_COLUMNS)
    assert refused.value.message.startswith(message), refused.value.message
    assert refused.value.field == "file"


def test_an_xlsx_that_is_a_zip_of_something_else_or_named_csv_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    with pytest.raises(errors.InvalidInput, match="not a valid Excel workbook"):
        read_upload(archive.getvalue(), "users.xlsx", columns=USER_COLUMNS)
    with pytest.raises(errors.InvalidInput, match="is an Excel workbook, not CSV text"):
        read_upload(xlsx_bytes(ROWS), "users.csv", columns=USER_COLUMNS)


def test_a_file_over_5_mb_and_a_list_over_the_row_cap_are_refused_with_what_to_do():
    huge = b"email\r\n" + b"someone.with.a.long.name@acme.example\r\n" * 150_000
    assert len(huge) > 5 * 1024 * 1024
    with pytest.raises(errors.InvalidInput, match=r"too big \(5\.\d MB\): upload at most 5 MB"):
        read_upload(huge, "users.csv", columns=USER_COLUMNS)
    many = b"email\r\n" + b"".join(b"u%d@acme.example\r\n" % i for i in range(MAX_ROWS + 1))
    with pytest.raises(errors.InvalidInput, match="more than 20,000 rows. Split the list"):
        read_upload(many, "users.csv", columns=USER_COLUMNS)
    assert len(read_upload(many.rsplit(b"u", 1)[0], "users.csv", columns=USER_COLUMNS).rows) == MAX_ROWS


@pytest.mark.parametrize(
    ("typed", "address"),
    [
        ("Jane.Smith@Acme.Example", "jane.smith@acme.example"),
        ("o'brien+news@mail.acme.example", "o'brien+news@mail.acme.example"),
        (" jane@bücher.example ", "jane@xn--bcher-kva.example"),
    ],
)
def test_an_address_is_lower_cased_and_its_domain_idna_encoded(typed, address):
    assert parse_mail_address(typed) == address


@pytest.mark.parametrize(
    "typed",
    [
        "jane",
        "@acme.example",
        "jane@",
        ".jane@acme.example",
        "jane.@acme.example",
        "ja..ne@acme.example",
        '"jane"@acme.example',
        "jane@acme",
        "jane@-acme.example",
        "x" * 65 + "@acme.example",
        "jane@" + "a" * 250 + ".example",
        "jane,doe@acme.example",
    ],
)
def test_a_malformed_address_is_refused(typed):
    with pytest.raises(errors.InvalidInput):
        parse_mail_address(typed)


def test_permitted_senders_must_be_external_unique_and_new():
    rows = [
        ("Address",),
        ("orders@supplier.example",),
        ("me@acme.example",),
        ("it@mail.acme.example",),
        ("Orders@Supplier.example",),
        ("old@partner.example",),
        ("not an address",),
        ("",),
        ("new@partner.example",),
    ]
    upload = read_upload(csv_bytes(rows), "senders.csv", columns=SENDER_COLUMNS)
    result = check_senders(upload, own_domains=DOMAINS, existing={"old@partner.example"})
    assert [r["address"] for r in result.accepted] == ["orders@supplier.example", "new@partner.example"]
    assert_errors(
        result,
        [
            (3, "Address", "acme.example is one of your own domains"),
            (4, "Address", "mail.acme.example is one of your own domains"),
            (5, "Address", "Duplicate of row 2."),
            (6, "Address", "Already a permitted sender."),
            (7, "Address", "Enter one email address with a single @"),
        ],
    )


# --- through the tasks, with the database -----------------------------------------------


@pytest.fixture
def board(board: TaskBoard) -> TaskBoard:
    """The shared signed-in board, with Confirm Your Details complete."""
    board.save("confirm_details", version=0, state=TaskState.COMPLETE)
    return board


def account_id(services) -> int:
    with new_session(services.engine) as db:
        return db.exec(select(AdminUser)).first().account_id


def test_a_10000_row_file_completes_and_reports_exactly_its_errors(board, services):
    verify_domain(services)
    rows = [("email", "first_name", "last_name")]
    expected = []
    for i in range(10_000):
        number = i + 2
        if i % 1000 == 7:
            rows.append((f"user{i}@elsewhere.example", "Bad", "Domain"))
            expected.append(
                (
                    number,
                    "email",
                    "elsewhere.example is not one of your verified domains. Verify it "
                    "in Validate Your Domains, or correct the address.",
                )
            )
        elif i % 1000 == 500:
            rows.append((f"user{i - 1}@acme.example", "Dup", "Licate"))
            expected.append((number, "email", f"Duplicate of row {number - 1}."))
        else:
            rows.append((f"user{i}@acme.example", f"First{i}", f"Last{i}"))
    task = AddUsersTask(board)
    version = board.start("add_users").version
    started = time.perf_counter()
    status = task.check_file(version=version, filename="big.csv", content=csv_bytes(rows))
    elapsed = time.perf_counter() - started
    print(f"\n10,000-row CSV checked and saved in {elapsed:.2f} s")
    batch = task.batch()
    assert (status.step, batch.rows_read, batch.error_count) == ("review", 10_000, 20)
    assert [(e["row"], e["column"], e["message"]) for e in batch.errors] == expected
    assert len(batch.users) == 10_000 - 20
    assert len(batch.users) == len({u["email"] for u in batch.users})


def test_row_errors_beyond_the_kept_ones_are_still_counted(board, services):
    verify_domain(services)
    rows = [("email",)] + [(f"u{i}@elsewhere.example",) for i in range(ERRORS_KEPT + 5)]
    task = AddUsersTask(board)
    task.check_file(version=board.start("add_users").version, filename="bad.csv", content=csv_bytes(rows))
    batch = task.batch()
    assert (batch.error_count, len(batch.errors), batch.users) == (ERRORS_KEPT + 5, ERRORS_KEPT, ())


def test_without_a_verified_domain_the_file_is_refused_as_a_whole(board, services):
    task = AddUsersTask(board)
    with pytest.raises(errors.InvalidInput, match="no verified domain yet"):
        task.check_file(version=board.start("add_users").version, filename="users.csv", content=csv_bytes(ROWS))


def test_sql_looking_text_is_stored_literally(board, services):
    verify_domain(services)
    with new_session(services.engine) as db:
        db.add(MailUser(account_id=account_id(services), email="already@acme.example", created_at=START))
        db.commit()
    task = AddUsersTask(board)
    status = task.check_file(version=board.start("add_users").version, filename="users.xlsx", content=xlsx_bytes(ROWS))
    task.submit(version=status.version)
    queue = ReviewQueue(services, staff="Priya")
    queue.approve(queue.pending()[0].id)
    with new_session(services.engine) as db:
        stored = {u.email: (u.first_name, u.last_name) for u in db.exec(select(MailUser))}
    assert stored["o'brien@acme.example"] == (SQL_NAME, "O'Brien")
    assert sorted(stored) == sorted([*GOOD, "already@acme.example"])


def test_permitted_senders_import_stores_the_good_rows_and_completes_with_the_count(board, services):
    for key in ("validate_domains", "outbound_email"):
        board.save(key, version=0, state=TaskState.COMPLETE)
    with new_session(services.engine) as db:
        db.add(PermittedSender(account_id=account_id(services), address="old@partner.example", created_at=START))
        db.commit()
    task = PermittedSendersTask(board)
    version = board.start("permitted_senders").version
    with pytest.raises(errors.InvalidInput, match="No addresses are ready"):
        task.import_senders(version=version)
    rows = [
        ("address",),
        ("orders@supplier.example",),
        ("boss@acme.example",),
        ("old@partner.example",),
        ("new@partner.example",),
        ("orders@supplier.example",),
    ]
    status = task.check_file(version=version, filename="senders.csv", content=csv_bytes(rows))
    batch = task.batch()
    assert (status.step, batch.addresses, batch.error_count) == (
        "review",
        ("orders@supplier.example", "new@partner.example"),
        3,
    )
    done = task.import_senders(version=status.version)
    assert done.state is TaskState.COMPLETE and task.batch().imported == 2
    assert task.sender_count() == 3
    with pytest.raises(errors.StepOutOfOrder):
        task.check_file(version=done.version, filename="senders.csv", content=csv_bytes(rows))
