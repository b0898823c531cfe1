//! ReportService: the schedule revised, reports submitted, accepted,
//! returned and listed.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{application as conv, common::request_key, report as rconv};
use super::error::IntoStatus;
use crate::domain::Grants;
use crate::domain::ids::ApplicationName;
use crate::domain::postaward::ReportName;
use crate::domain::service::reports::ReportChange;
use crate::proto::v1::{self, report_service_server::ReportService};

pub struct ReportApi {
    pub grants: Grants,
}

fn parts(changed: ReportChange) -> (Option<v1::Report>, Option<v1::Application>) {
    (
        Some(rconv::report_out(changed.report)),
        Some(conv::output(changed.change.application)),
    )
}

#[tonic::async_trait]
impl ReportService for ReportApi {
    async fn revise_schedule(
        &self,
        request: Request<v1::ReviseScheduleRequest>,
    ) -> Result<Response<v1::ReviseScheduleResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("ReviseSchedule", &message.request_id, &message);
        let v1::ReviseScheduleRequest {
            name,
            schedule,
            reason,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let schedule = rconv::schedule_in(schedule).status()?;
        let changed = self
            .grants
            .revise_schedule(&caller, &name, schedule, &reason, key)
            .await
            .status()?;
        Ok(Response::new(v1::ReviseScheduleResponse {
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn submit_report(
        &self,
        request: Request<v1::SubmitReportRequest>,
    ) -> Result<Response<v1::SubmitReportResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("SubmitReport", &message.request_id, &message);
        let v1::SubmitReportRequest {
            parent,
            number,
            document,
            outputs,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&parent, "parent").status()?;
        let outputs = rconv::outputs_in(outputs);
        let changed = self
            .grants
            .submit_report(&caller, &name, number, &document, outputs, key)
            .await
            .status()?;
        let (report, application) = parts(changed);
        Ok(Response::new(v1::SubmitReportResponse { report, application }))
    }

    async fn accept_report(
        &self,
        request: Request<v1::AcceptReportRequest>,
    ) -> Result<Response<v1::AcceptReportResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("AcceptReport", &message.request_id, &message);
        let v1::AcceptReportRequest {
            name,
            reason,
            request_id: _,
        } = message;
        let name = ReportName::parse(&name, "name").status()?;
        let changed = self
            .grants
            .decide_report(&caller, &name, true, &reason, key)
            .await
            .status()?;
        let (report, application) = parts(changed);
        Ok(Response::new(v1::AcceptReportResponse { report, application }))
    }

    async fn return_report(
        &self,
        request: Request<v1::ReturnReportRequest>,
    ) -> Result<Response<v1::ReturnReportResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("ReturnReport", &message.request_id, &message);
        let v1::ReturnReportRequest {
            name,
            reason,
            request_id: _,
        } = message;
        let name = ReportName::parse(&name, "name").status()?;
        let changed = self
            .grants
            .decide_report(&caller, &name, false, &reason, key)
            .await
            .status()?;
        let (report, application) = parts(changed);
        Ok(Response::new(v1::ReturnReportResponse { report, application }))
    }

    async fn list_reports(
        &self,
        request: Request<v1::ListReportsRequest>,
    ) -> Result<Response<v1::ListReportsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListReportsRequest {
            parent,
            page_size,
            page_token,
        } = request.into_inner();
        let name = ApplicationName::parse(&parent, "parent").status()?;
        let page = self
            .grants
            .list_reports(&caller, &name, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListReportsResponse {
            reports: page.items.into_iter().map(rconv::report_out).collect(),
            next_page_token: page.next_page_token,
        }))
    }
}
