"""The Portfolio tab: a heatmap of practice-area scores across sites (each cell with its completeness and evidence
share), the enrolment order with its reasons, and one site over time. Layout and service calls only."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.service import AssessmentService
from assistant.ui.access import Access
from assistant.ui.interview_tab import service_call
from assistant.ui.portfolio_views import heatmap_html, ranking_markdown, site_markdown, spread_markdown


class PortfolioTab:
    def __init__(self, service: AssessmentService, access: Access) -> None:
        self.service, self.access = service, access

    def show(self, request: gr.Request) -> tuple[Any, ...]:
        me = self.access.principal(request)
        bench, ranks = service_call(self.service.portfolio.overview, me)
        names = [r.site for r in sorted(ranks, key=lambda r: r.site)]
        return (heatmap_html(bench), spread_markdown(bench), ranking_markdown(ranks),
                gr.update(choices=names, value=None))  # fmt: skip

    def site(self, name: str | None, request: gr.Request) -> str:
        if not name:
            return ""
        return site_markdown(service_call(self.service.portfolio.site, self.access.principal(request), name))

    def build(self) -> Any:
        show = gr.Button("Show the portfolio", elem_id="portfolio-show")
        heatmap = gr.HTML(elem_id="portfolio-heatmap")
        with gr.Row():
            ranking = gr.Markdown(elem_id="portfolio-ranking")
            spread = gr.Markdown(elem_id="portfolio-spread")
        pick = gr.Dropdown(choices=[], label="A site over time", elem_id="portfolio-site")
        detail = gr.Markdown(elem_id="portfolio-detail")
        show.click(self.show, None, [heatmap, spread, ranking, pick], api_name="portfolio")
        pick.change(self.site, pick, detail, api_name="portfolio_site")
        return show
