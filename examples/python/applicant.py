#!/usr/bin/env python3
"""An applicant's client for gba-grants.

Drafts an application to a programme, submits it, then follows the
application's events until an officer decides on it:

    python applicant.py --programme programmes/abc --partner institutions/xyz \\
        --title "Typhoon-resilient coastal infrastructure" --amount 800000

Exit status: 0 once the application is APPROVED or REJECTED, 1 on timeout,
2 when a call fails. Needs the stubs generated into gen/ (see README.md).
"""

import argparse
import os
import random
import sys
import time
import uuid
from datetime import timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "gen"))

import grpc  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402

from gba.grants.v1 import (  # noqa: E402
    application_pb2,
    application_pb2_grpc,
    common_pb2,
    programme_pb2,
    programme_pb2_grpc,
    watch_pb2,
    watch_pb2_grpc,
)

State = application_pb2.Application.State
DECIDED = (State.STATE_APPROVED, State.STATE_REJECTED)
# Worth retrying: the server is draining, restarting or its database is busy.
RETRYABLE = (grpc.StatusCode.UNAVAILABLE,)


def state_name(state):
    return State.Name(state).removeprefix("STATE_")


def to_money(currency_code, amount):
    """Decimal -> Money: whole units and nanos of the same sign."""
    amount = Decimal(amount)
    units = int(amount)  # truncates toward zero, so nanos keep the sign
    return common_pb2.Money(
        currency_code=currency_code, units=units, nanos=int((amount - units) * 10**9)
    )


def show_money(money):
    amount = Decimal(money.units) + Decimal(money.nanos) / 10**9
    return f"{money.currency_code} {amount:,.2f}"


def describe(err):
    """`CODE: message [reason …]`, decoding google.rpc.ErrorInfo and BadRequest
    from the grpc-status-details-bin trailer."""
    text = f"{err.code().name}: {err.details()}"
    try:
        status = rpc_status.from_call(err)
    except ValueError:  # details disagree with the status line
        status = None
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            text += f" [reason {info.reason}]"
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            text += "".join(f" [{v.field}: {v.description}]" for v in bad.field_violations)
    return text


def with_retries(method, request, metadata, attempts=6):
    """A unary call, retried with backoff on UNAVAILABLE. Safe for writes
    because the request carries a request_id: a replay changes nothing.
    wait_for_ready: while the server cannot be reached (restarting, say),
    the call waits for it, up to its deadline, instead of failing at once."""
    delay = 0.25
    for attempt in range(1, attempts + 1):
        try:
            return method(request, metadata=metadata, timeout=15, wait_for_ready=True)
        except grpc.RpcError as err:
            if err.code() not in RETRYABLE or attempt == attempts:
                raise
            print(f"  {describe(err)}; retry {attempt} in {delay:.2f}s", file=sys.stderr)
            time.sleep(delay)
            delay = min(delay * 2, 5)


def latest_cursor(applications, name, metadata):
    """The cursor of the newest event of one application (empty if none)."""
    cursor, page_token = "", ""
    while True:
        page = with_retries(
            applications.ListApplicationEvents,
            application_pb2.ListApplicationEventsRequest(parent=name, page_token=page_token),
            metadata,
        )
        if page.events:
            cursor = page.events[-1].cursor
        page_token = page.next_page_token
        if not page_token:
            return cursor


def follow(watch, name, cursor, metadata, timeout):
    """Watches one application from `cursor` until a decision; reconnects
    after the last cursor seen when the stream ends. The decided
    Application, or None on timeout."""
    deadline = time.monotonic() + timeout
    backoff = 0.5
    while (remaining := deadline - time.monotonic()) > 0:
        stream = watch.WatchApplicationEvents(
            watch_pb2.WatchApplicationEventsRequest(application=name, cursor=cursor),
            metadata=metadata,
            timeout=remaining,
            wait_for_ready=True,  # while the server is down, wait for it rather than fail
        )
        try:
            for message in stream:
                if message.HasField("progress"):
                    cursor = message.progress.cursor
                    continue
                event = message.event
                cursor = event.cursor
                backoff = 0.5
                when = event.event_time.ToDatetime(tzinfo=timezone.utc)
                line = (
                    f"{when:%Y-%m-%d %H:%M:%S}Z  {state_name(event.previous_state)} -> "
                    f"{state_name(event.new_state)}"
                )
                print(line + (f"  ({event.reason})" if event.reason else ""), flush=True)
                if event.new_state in DECIDED:
                    return event.snapshot
            reason = "stream ended"
        except grpc.RpcError as err:
            if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                break
            if err.code() not in RETRYABLE:
                raise
            reason = describe(err)
        delay = backoff * random.uniform(0.8, 1.2)
        print(f"  {reason}; reconnecting after cursor {cursor!r} in {delay:.1f}s", flush=True)
        time.sleep(delay)
        backoff = min(backoff * 2, 10)
    return None


def main():
    parser = argparse.ArgumentParser(
        description="Draft, submit and follow a grant application until a decision.")
    parser.add_argument("--endpoint", default=os.environ.get("GBA_GRANTS_ENDPOINT", "127.0.0.1:50051"),
                        help="host:port, plaintext (env GBA_GRANTS_ENDPOINT)")
    parser.add_argument("--token", default=os.environ.get("GBA_GRANTS_TOKEN"),
                        help="an applicant API key, gbk_… (env GBA_GRANTS_TOKEN)")
    parser.add_argument("--programme", required=True, help="programmes/…")
    parser.add_argument("--partner", action="append", default=[], help="institutions/…, repeatable")
    parser.add_argument("--title", required=True)
    parser.add_argument("--abstract", default="Joint research across the Greater Bay Area.")
    parser.add_argument("--amount", required=True, type=Decimal,
                        help="amount requested, in the programme's currency")
    parser.add_argument("--months", type=int, default=24, help="duration of the project")
    parser.add_argument("--pi-name", default="Josiah Carberry")
    parser.add_argument("--pi-email", default="j.carberry@example.edu")
    parser.add_argument("--pi-orcid", default="0000-0002-1825-0097")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds to wait for a decision (default 600)")
    args = parser.parse_args()
    if not args.token:
        parser.error("--token or GBA_GRANTS_TOKEN is required")

    metadata = (("authorization", f"Bearer {args.token}"),)
    # Reconnect quickly after the server restarts (the default waits up to 120 s).
    channel = grpc.insecure_channel(args.endpoint, options=[("grpc.max_reconnect_backoff_ms", 5000)])
    programmes = programme_pb2_grpc.ProgrammeServiceStub(channel)
    applications = application_pb2_grpc.ApplicationServiceStub(channel)
    watch = watch_pb2_grpc.WatchServiceStub(channel)

    try:
        programme = with_retries(
            programmes.GetProgramme, programme_pb2.GetProgrammeRequest(name=args.programme), metadata
        ).programme
        print(f"Programme: {programme.display_name} ({programme.name}), "
              f"max award {show_money(programme.max_award)}")

        # applicant_institution is left empty: the key's own institution is used.
        draft = with_retries(
            applications.CreateApplication,
            application_pb2.CreateApplicationRequest(
                parent=programme.name,
                application=application_pb2.Application(
                    title=args.title,
                    abstract=args.abstract,
                    principal_investigator=application_pb2.Investigator(
                        name=args.pi_name, email=args.pi_email, orcid=args.pi_orcid
                    ),
                    partner_institutions=args.partner,
                    requested_amount=to_money(programme.currency_code, args.amount),
                    duration_months=args.months,
                ),
                request_id=str(uuid.uuid4()),
            ),
            metadata,
        ).application
        print(f"Draft:     {draft.name}, {show_money(draft.requested_amount)}")

        # Remember where the log stood before submitting: watching from this
        # cursor replays SUBMITTED and everything after it, with no gap.
        cursor = latest_cursor(applications, draft.name, metadata)

        submitted = with_retries(
            applications.SubmitApplication,
            application_pb2.SubmitApplicationRequest(name=draft.name, request_id=str(uuid.uuid4())),
            metadata,
        ).application
        print(f"Submitted: {state_name(submitted.state)}; waiting for a decision")

        decided = follow(watch, draft.name, cursor, metadata, args.timeout)
    except grpc.RpcError as err:
        print(f"error: {describe(err)}", file=sys.stderr)
        if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            print(f"(is the server at {args.endpoint} up?)", file=sys.stderr)
        return 2
    finally:
        channel.close()

    if decided is None:
        print(f"No decision within {args.timeout:g}s", file=sys.stderr)
        return 1
    print(f"Decision:  {state_name(decided.state)}"
          + (f" — {decided.decision.reason}" if decided.decision.reason else ""))
    if decided.state == State.STATE_APPROVED:
        print(f"Award:     {decided.award_number}, {show_money(decided.awarded_amount)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
