#!/usr/bin/env python3
"""CI driver for applicant.py: sets up a programme as admin, runs the
applicant client against it, and decides on its application as an officer.

    python scenario.py --endpoint 127.0.0.1:PORT --admin-token gbk_…

With --restart-server (as run.sh passes) it also restarts the server while
the applicant is watching, to check that the client resumes from its cursor
and sees every event exactly once. Exits non-zero, saying why, on any failure.
"""

import argparse
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from google.protobuf.timestamp_pb2 import Timestamp

from applicant import describe, to_money, with_retries  # also puts gen/ on sys.path

import grpc  # noqa: E402
from gba.grants.v1 import (  # noqa: E402
    access_pb2,
    access_pb2_grpc,
    application_pb2,
    application_pb2_grpc,
    award_pb2,
    award_pb2_grpc,
    common_pb2,
    institution_pb2,
    institution_pb2_grpc,
    programme_pb2,
    programme_pb2_grpc,
    review_pb2,
    review_pb2_grpc,
)

HERE = Path(__file__).resolve().parent
State = application_pb2.Application.State


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def rid():
    return str(uuid.uuid4())


def timestamp(when):
    ts = Timestamp()
    ts.FromDatetime(when)
    return ts


class Applicant:
    """applicant.py as a subprocess, its output echoed and kept."""

    started = []

    def __init__(self, args, env):
        self.lines = []
        self.changed = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(HERE / "applicant.py"), *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        Applicant.started.append(self.process)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            print(f"  applicant | {line}", end="", flush=True)
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    @property
    def output(self):
        return "".join(self.lines)

    def wait_for_line(self, text, timeout):
        with self.changed:
            found = self.changed.wait_for(lambda: any(text in line for line in self.lines), timeout)
        check(found, f"applicant did not print {text!r} within {timeout}s")

    def finish(self, timeout):
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise Failure(f"applicant.py still running after {timeout}s")
        self.reader.join(5)
        return code

    def check_running(self):
        code = self.process.poll()
        check(code is None, f"applicant.py exited early with status {code}")


def process_gone(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # exited, not yet reaped


def restart_server(pid_file, command):
    """SIGTERM the server (it drains, ending streams with UNAVAILABLE), then
    start it again with the same command line once it has exited."""
    pid_file = Path(pid_file)
    pid = int(pid_file.read_text())
    print(f"scenario: restarting the server (pid {pid})", flush=True)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 40
    while not process_gone(pid):
        check(time.monotonic() < deadline, "the server did not exit within 40s of SIGTERM")
        time.sleep(0.05)
    with open(pid_file.with_name("server.log"), "a") as log:
        server = subprocess.Popen(shlex.split(command), stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=log, start_new_session=True)
    pid_file.write_text(str(server.pid))


def run(opts):
    channel = grpc.insecure_channel(opts.endpoint)
    admin = (("authorization", f"Bearer {opts.admin_token}"),)
    institutions = institution_pb2_grpc.InstitutionServiceStub(channel)
    programmes = programme_pb2_grpc.ProgrammeServiceStub(channel)
    access = access_pb2_grpc.AccessServiceStub(channel)
    applications = application_pb2_grpc.ApplicationServiceStub(channel)
    review = review_pb2_grpc.ReviewServiceStub(channel)
    Region = common_pb2.Region

    def institution(display_name, local_name, region, ror_id):
        return with_retries(institutions.CreateInstitution, institution_pb2.CreateInstitutionRequest(
            institution=institution_pb2.Institution(
                display_name=display_name, local_name=local_name, region=region, ror_id=ror_id),
            request_id=rid()), admin).institution

    def programme(name, opens, closes):
        return with_retries(programmes.CreateProgramme, programme_pb2.CreateProgrammeRequest(
            programme=programme_pb2.Programme(
                display_name=name,
                local_name="粤港澳联合科研资助计划",
                funder="Guangdong Provincial Department of Science and Technology",
                currency_code="CNY",
                budget=to_money("CNY", 10_000_000),
                max_award=to_money("CNY", 1_000_000),
                eligible_regions=[Region.REGION_HONG_KONG],
                requires_guangdong_partner=True,
                open_time=timestamp(opens),
                close_time=timestamp(closes),
            ),
            request_id=rid()), admin).programme

    def api_key(**fields):
        return with_retries(access.CreateApiKey, access_pb2.CreateApiKeyRequest(
            api_key=access_pb2.ApiKey(**fields), request_id=rid()), admin)

    # --- Set-up, as admin -------------------------------------------------
    hku = institution("The University of Hong Kong", "香港大學", Region.REGION_HONG_KONG, "02zhqgq86")
    sysu = institution("Sun Yat-sen University", "中山大学", Region.REGION_GUANGDONG, "0064kty71")
    now = datetime.now(timezone.utc)
    open_programme = programme("GBA Joint Research Scheme (open)",
                               now - timedelta(minutes=1), now + timedelta(days=30))
    print(f"scenario: {hku.name} (HK), {sysu.name} (GD), {open_programme.name} open now")

    applicant_key = api_key(role=access_pb2.ApiKey.ROLE_APPLICANT, institution=hku.name,
                            display_name="HKU research office")
    officer_key = api_key(role=access_pb2.ApiKey.ROLE_OFFICER, programmes=[open_programme.name],
                          display_name="Scheme officer")
    check(applicant_key.secret.startswith("gbk_"), f"unexpected secret {applicant_key.secret[:6]!r}…")
    officer = (("authorization", f"Bearer {officer_key.secret}"),)
    env = dict(os.environ, GBA_GRANTS_ENDPOINT=opts.endpoint, GBA_GRANTS_TOKEN=applicant_key.secret)

    # --- The applicant drafts, submits and watches ------------------------
    applicant = Applicant(["--programme", open_programme.name, "--partner", sysu.name,
                           "--title", "Typhoon-resilient coastal infrastructure",
                           "--amount", "800000.50", "--timeout", "90"], env)

    # --- The officer waits for the submission, then decides ----------------
    deadline = time.monotonic() + 30
    while True:
        applicant.check_running()
        page = with_retries(applications.ListApplications, application_pb2.ListApplicationsRequest(
            parent=open_programme.name, filter="state = SUBMITTED"), officer)
        if page.applications:
            break
        check(time.monotonic() < deadline, "no SUBMITTED application within 30s")
        time.sleep(0.2)
    submitted = page.applications[0]
    check(submitted.applicant_institution == hku.name,
          f"applicant_institution is {submitted.applicant_institution!r}, expected the key's {hku.name!r}")
    print(f"scenario: officer sees {submitted.name} SUBMITTED")

    with_retries(review.StartReview, review_pb2.StartReviewRequest(
        name=submitted.name, request_id=rid()), officer)
    applicant.wait_for_line("-> UNDER_REVIEW", 30)

    if opts.restart_server:
        restart_server(opts.server_pid_file, opts.restart_server)

    award = to_money("CNY", 750_000)
    approved = with_retries(review.ApproveApplication, review_pb2.ApproveApplicationRequest(
        name=submitted.name, awarded_amount=award, reason="Recommended by the panel",
        request_id=rid()), officer).application
    check(approved.state == State.STATE_APPROVED and approved.award_number,
          f"ApproveApplication answered {approved}")
    print(f"scenario: officer approved it, award {approved.award_number}")

    # --- The applicant must have seen the decision ------------------------
    code = applicant.finish(60)
    out = applicant.output
    check(code == 0, f"applicant.py exited with status {code}")
    check("Decision:  APPROVED" in out, "applicant.py did not print the APPROVED decision")
    check(approved.award_number in out, f"applicant.py did not print award {approved.award_number}")
    check("CNY 750,000.00" in out, "applicant.py did not print the awarded amount")
    for state in ("-> SUBMITTED", "-> UNDER_REVIEW", "-> APPROVED"):
        count = out.count(state)
        check(count == 1, f"applicant.py printed {state!r} {count} times, expected once")
    if opts.restart_server:
        check("reconnecting" in out, "applicant.py never reconnected across the server restart")

    # --- An error the example must explain: a programme not open yet ------
    later = datetime.now(timezone.utc) + timedelta(days=1)
    closed_programme = programme("GBA Joint Research Scheme (next call)", later, later + timedelta(days=30))
    early = Applicant(["--programme", closed_programme.name, "--partner", sysu.name,
                       "--title", "Too early", "--amount", "1000"], env)
    code = early.finish(30)
    check(code == 2, f"applicant.py on a programme not open exited {code}, expected 2")
    check("FAILED_PRECONDITION" in early.output and "[reason PROGRAMME_NOT_OPEN]" in early.output,
          "applicant.py did not report FAILED_PRECONDITION [reason PROGRAMME_NOT_OPEN]")

    beam_time(channel, admin, hku, api_key, applicant_key)
    channel.close()


def beam_time(channel, admin, hku, api_key, applicant_key):
    """A facility programme from Python: HKU asks for 12.5 hours of CSNS
    beam time, is allocated 10.5, uses 8; usage beyond the allocation is
    refused with its reason; every amount is exact steps of 0.5 hour."""
    programmes = programme_pb2_grpc.ProgrammeServiceStub(channel)
    applications = application_pb2_grpc.ApplicationServiceStub(channel)
    review = review_pb2_grpc.ReviewServiceStub(channel)
    awards = award_pb2_grpc.AwardServiceStub(channel)

    def beam(steps):
        return common_pb2.ResourceAmount(unit="beam-h", steps=steps)

    now = datetime.now(timezone.utc)
    cycle = with_retries(programmes.CreateProgramme, programme_pb2.CreateProgrammeRequest(
        programme=programme_pb2.Programme(
            display_name="CSNS beam time for Hong Kong users",
            local_name="中国散裂中子源香港用户机时",
            funder="Institute of High Energy Physics, CAS",
            eligible_regions=[common_pb2.Region.REGION_HONG_KONG],
            open_time=timestamp(now - timedelta(minutes=1)),
            close_time=timestamp(now + timedelta(days=30)),
            facility=programme_pb2.Facility(
                facility="China Spallation Neutron Source", local_name="中国散裂中子源",
                resource="Beam time, general purpose powder diffractometer", unit="beam-h",
                capacity=beam(201)),
        ),
        request_id=rid()), admin).programme
    check(cycle.facility.capacity.value == "100.5" and not cycle.currency_code,
          f"the facility programme came back as {cycle}")
    officer_key = api_key(role=access_pb2.ApiKey.ROLE_OFFICER, programmes=[cycle.name],
                          display_name="CSNS user office")
    officer = (("authorization", f"Bearer {officer_key.secret}"),)
    applicant = (("authorization", f"Bearer {applicant_key.secret}"),)
    draft = with_retries(applications.CreateApplication, application_pb2.CreateApplicationRequest(
        parent=cycle.name,
        application=application_pb2.Application(
            applicant_institution=hku.name,
            title="Lithium-ion conduction in garnet electrolytes",
            abstract="Neutron powder diffraction of doped LLZO.",
            principal_investigator=application_pb2.Investigator(
                name="Prof. Leung Ka Wai", email="kwleung@hku.hk", orcid="0000-0002-1825-0097"),
            requested_resource=beam(25),
            duration_months=6,
            preferred_periods=[common_pb2.Period(start_time=timestamp(now + timedelta(days=40)),
                                                 end_time=timestamp(now + timedelta(days=43)))],
        ),
        request_id=rid()), applicant).application
    with_retries(applications.SubmitApplication, application_pb2.SubmitApplicationRequest(
        name=draft.name, request_id=rid()), applicant)
    with_retries(review.StartReview, review_pb2.StartReviewRequest(name=draft.name, request_id=rid()), officer)
    approved = with_retries(review.ApproveApplication, review_pb2.ApproveApplicationRequest(
        name=draft.name, awarded_resource=beam(21), request_id=rid()), officer).application
    check(approved.awarded_resource.value == "10.5" and not approved.HasField("awarded_amount"),
          f"the allocation reads {approved.awarded_resource}")
    used = with_retries(awards.RecordUsage, award_pb2.RecordUsageRequest(
        parent=draft.name,
        usage_record=award_pb2.UsageRecord(
            amount=beam(16), reference="CSNS-P2027-0042",
            period=common_pb2.Period(start_time=timestamp(now - timedelta(days=2)),
                                     end_time=timestamp(now - timedelta(days=1)))),
        request_id=rid()), officer)
    check(used.application.used_resource.value == "8" and used.application.state == State.STATE_ACTIVE,
          f"after usage the application reads {used.application}")
    try:
        awards.RecordUsage(award_pb2.RecordUsageRequest(
            parent=draft.name,
            usage_record=award_pb2.UsageRecord(
                amount=beam(6), reference="CSNS-P2027-0043",
                period=common_pb2.Period(start_time=timestamp(now - timedelta(hours=5)),
                                         end_time=timestamp(now - timedelta(hours=2))))),
            metadata=officer)
        raise Failure("usage beyond the allocation was accepted")
    except grpc.RpcError as err:
        check(err.code() == grpc.StatusCode.FAILED_PRECONDITION and "USAGE_EXCEEDS_ALLOCATION" in describe(err),
              f"usage beyond the allocation answered {describe(err)}")
    print(f"scenario: beam time allocated {approved.awarded_resource.value} beam-h, "
          f"used {used.application.used_resource.value}, over-use refused")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("GBA_GRANTS_ENDPOINT", "127.0.0.1:50051"))
    parser.add_argument("--admin-token", default=os.environ.get("GBA_GRANTS_ADMIN_TOKEN"),
                        help="an admin API key (env GBA_GRANTS_ADMIN_TOKEN)")
    parser.add_argument("--restart-server", metavar="COMMAND",
                        help="restart the server mid-watch with this command line")
    parser.add_argument("--server-pid-file", help="with --restart-server: file holding the server's pid")
    opts = parser.parse_args()
    if not opts.admin_token:
        parser.error("--admin-token or GBA_GRANTS_ADMIN_TOKEN is required")
    if opts.restart_server and not opts.server_pid_file:
        parser.error("--restart-server needs --server-pid-file")
    started = time.monotonic()
    try:
        run(opts)
    except Failure as failure:
        print(f"scenario: FAILED: {failure}", file=sys.stderr)
        return 1
    except grpc.RpcError as err:
        print(f"scenario: FAILED: a call failed: {describe(err)}", file=sys.stderr)
        return 1
    finally:
        for process in Applicant.started:
            if process.poll() is None:
                process.kill()
    print(f"scenario: passed in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
