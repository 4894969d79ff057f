# ruff: noqa: RUF001 -- a data file: Russian text on purpose
"""Writes the retrieval evaluation set: ``tools.jsonl`` and ``queries.jsonl`` (seeded).

Hand-written vocabularies: service domains, their providers, operations with a catalog-style
description and user-style requests that say the same thing in other words. Run
``python -m bench.data.generate`` to regenerate; the output is committed.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent

# domain: (tool type, tags, providers {slug: [label, spoken aliases...]}, operations)
# operation: (name suffix, description with {P}, [requests with {P}, ...])
DOMAINS: dict[
    str, tuple[str, list[str], dict[str, list[str]], list[tuple[str, str, list[str]]]]
] = {
    "issues": (
        "domain",
        ["dev", "tracker"],
        {
            "jira": ["Jira", "Jira", "Atlassian Jira"],
            "github": ["GitHub", "GitHub"],
            "gitlab": ["GitLab", "GitLab"],
            "linear": ["Linear", "Linear"],
            "youtrack": ["YouTrack", "YouTrack"],
        },
        [
            (
                "create_issue",
                "Create a new issue in a {P} project with a summary, description and priority.",
                [
                    "open a ticket in {P} about the login page crashing on Safari",
                    "file a bug report in {P}: checkout button does nothing",
                ],
            ),
            (
                "close_issue",
                "Close or resolve an existing {P} issue by its key, with a resolution note.",
                [
                    "mark the {P} ticket PAY-112 as done, it was fixed yesterday",
                    "resolve that bug in {P}, we shipped the fix",
                ],
            ),
            (
                "comment_issue",
                "Add a comment to a {P} issue.",
                [
                    "leave a note on the {P} ticket saying QA verified it",
                    "reply on the {P} bug thread that I can reproduce it",
                ],
            ),
            (
                "assign_issue",
                "Assign a {P} issue to a team member.",
                [
                    "give the {P} task about flaky tests to Maria",
                    "make Bob the owner of this {P} ticket",
                ],
            ),
            (
                "search_issues",
                "Search {P} issues by text, status, assignee or label.",
                [
                    "which {P} bugs are still open and assigned to me?",
                    "find tickets in {P} mentioning the payment timeout",
                ],
            ),
        ],
    ),
    "chat": (
        "domain",
        ["comms"],
        {
            "slack": ["Slack", "Slack"],
            "teams": ["Microsoft Teams", "Teams", "MS Teams"],
            "discord": ["Discord", "Discord"],
            "telegram": ["Telegram", "Telegram"],
            "mattermost": ["Mattermost", "Mattermost"],
        },
        [
            (
                "send_message",
                "Post a message to a {P} channel or direct conversation.",
                [
                    "ping the #releases room on {P} that the build is green",
                    "tell Anna on {P} that the meeting moved to 3pm",
                ],
            ),
            (
                "create_channel",
                "Create a new {P} channel with a name and topic.",
                [
                    "set up a fresh room on {P} for the Q3 launch",
                    "I need a new {P} space for the incident war room",
                ],
            ),
            (
                "invite_user",
                "Invite a user to a {P} channel or workspace.",
                [
                    "add the new contractor to our {P} workspace",
                    "bring Dmitry into the #design room on {P}",
                ],
            ),
            (
                "upload_file",
                "Upload a file or attachment to a {P} conversation.",
                [
                    "share the quarterly PDF in the {P} finance room",
                    "attach this screenshot to the {P} thread",
                ],
            ),
            (
                "set_status",
                "Set the current user's {P} status text and emoji.",
                [
                    "show me as out sick on {P} today",
                    "change my {P} presence to 'in a meeting until noon'",
                ],
            ),
        ],
    ),
    "email": (
        "domain",
        ["comms", "mail"],
        {
            "gmail": ["Gmail", "Gmail", "Google Mail"],
            "outlook": ["Outlook", "Outlook"],
            "sendgrid": ["SendGrid", "SendGrid"],
            "mailgun": ["Mailgun", "Mailgun"],
        },
        [
            (
                "send_email",
                "Send an email via {P} to one or more recipients with subject and body.",
                [
                    "mail the invoice to john@acme.com through {P}",
                    "write to the landlord via {P} that the heating is broken",
                ],
            ),
            (
                "search_inbox",
                "Search the {P} mailbox for messages by sender, subject or date.",
                [
                    "did I get anything from the bank last week in {P}?",
                    "look through my {P} for the flight confirmation",
                ],
            ),
            (
                "create_draft",
                "Create an unsent draft email in {P}.",
                [
                    "prepare a reply in {P} but don't send it yet",
                    "save a {P} message to HR as a draft for later",
                ],
            ),
            (
                "add_label",
                "Apply a label or move a {P} message into a folder.",
                [
                    "tag these {P} messages as 'receipts'",
                    "file the contract emails into the Legal folder in {P}",
                ],
            ),
            (
                "forward_email",
                "Forward an existing {P} message to another address.",
                [
                    "pass the vendor's quote along to procurement using {P}",
                    "send that {P} thread on to my manager",
                ],
            ),
        ],
    ),
    "calendar": (
        "domain",
        ["productivity"],
        {
            "google_calendar": ["Google Calendar", "Google Calendar", "gcal"],
            "outlook_calendar": ["Outlook Calendar", "Outlook calendar"],
            "calendly": ["Calendly", "Calendly"],
        },
        [
            (
                "create_event",
                "Create a calendar event in {P} with title, time, attendees and location.",
                [
                    "book a 30 minute sync with Lena on Thursday at 10 in {P}",
                    "put the dentist appointment on my {P} for Friday morning",
                ],
            ),
            (
                "list_events",
                "List upcoming {P} events in a date range.",
                ["what's on my {P} agenda tomorrow?", "show my {P} schedule for next week"],
            ),
            (
                "cancel_event",
                "Cancel a {P} event and notify its attendees.",
                ["call off the Monday standup in {P}", "drop the offsite meeting from {P}"],
            ),
            (
                "find_free_slot",
                "Find time slots when all attendees are free in {P}.",
                [
                    "when are Tom and I both available next week according to {P}?",
                    "find an open hour for the team on {P}",
                ],
            ),
            (
                "reschedule_event",
                "Move an existing {P} event to a new time.",
                ["push my 2pm {P} call to 4pm", "shift the review meeting in {P} to next Tuesday"],
            ),
        ],
    ),
    "storage": (
        "domain",
        ["files"],
        {
            "dropbox": ["Dropbox", "Dropbox"],
            "gdrive": ["Google Drive", "Google Drive", "Drive"],
            "s3": ["Amazon S3", "S3", "an S3 bucket"],
            "onedrive": ["OneDrive", "OneDrive"],
            "box": ["Box", "Box.com"],
        },
        [
            (
                "upload_file",
                "Upload a local file to {P} at a given path.",
                [
                    "put report.xlsx into the Finance folder on {P}",
                    "store this backup archive in {P}",
                ],
            ),
            (
                "download_file",
                "Download a file from {P} by path.",
                ["grab the signed contract from {P}", "fetch logo.png out of {P}"],
            ),
            (
                "share_link",
                "Create a shareable link for a {P} file or folder.",
                [
                    "give me a public URL for the slides on {P}",
                    "I want to send the photos folder in {P} to a client, make it shareable",
                ],
            ),
            (
                "list_folder",
                "List the files and folders inside a {P} directory.",
                [
                    "what's inside the /projects directory on {P}?",
                    "show everything stored in my {P} root",
                ],
            ),
            (
                "delete_file",
                "Delete a file or folder from {P}.",
                ["remove the old draft.docx from {P}", "clean out the tmp folder in {P}"],
            ),
        ],
    ),
    "payments": (
        "domain",
        ["finance", "billing"],
        {
            "stripe": ["Stripe", "Stripe"],
            "paypal": ["PayPal", "PayPal"],
            "adyen": ["Adyen", "Adyen"],
            "square": ["Square", "Square"],
        },
        [
            (
                "create_invoice",
                "Create and send an invoice to a customer through {P}.",
                [
                    "bill Acme Corp 1200 dollars for consulting using {P}",
                    "charge the client for March via a {P} invoice",
                ],
            ),
            (
                "refund_payment",
                "Refund a {P} charge fully or partially.",
                [
                    "give the customer their money back for order 5531 on {P}",
                    "return 20 euros of that {P} payment",
                ],
            ),
            (
                "list_transactions",
                "List {P} payments and charges with amount, status and date.",
                ["show this month's {P} sales", "which {P} charges failed yesterday?"],
            ),
            (
                "cancel_subscription",
                "Cancel a customer's recurring {P} subscription.",
                [
                    "stop billing user 88 monthly on {P}",
                    "end the premium plan for that customer in {P}",
                ],
            ),
            (
                "get_balance",
                "Get the available and pending balance of the {P} account.",
                [
                    "how much money is sitting in our {P} account?",
                    "what's the {P} payout balance right now",
                ],
            ),
        ],
    ),
    "crm": (
        "domain",
        ["sales"],
        {
            "salesforce": ["Salesforce", "Salesforce", "SFDC"],
            "hubspot": ["HubSpot", "HubSpot"],
            "pipedrive": ["Pipedrive", "Pipedrive"],
            "zoho": ["Zoho CRM", "Zoho"],
        },
        [
            (
                "create_lead",
                "Create a new lead record in {P} with name, company and contact details.",
                [
                    "add Jane Doe from Initech as a prospect in {P}",
                    "register the person I met at the conference in {P}",
                ],
            ),
            (
                "update_deal_stage",
                "Move a {P} deal or opportunity to another pipeline stage.",
                [
                    "the Globex contract is now in negotiation, update {P}",
                    "mark the big deal as closed-won in {P}",
                ],
            ),
            (
                "log_call",
                "Log a call or activity against a {P} contact.",
                [
                    "record that I phoned the CFO today in {P}",
                    "note my conversation with the buyer in {P}",
                ],
            ),
            (
                "find_contact",
                "Look up a {P} contact by name, email or company.",
                [
                    "who is our point of contact at Umbrella in {P}?",
                    "get the phone number of Mark from {P}",
                ],
            ),
            (
                "list_opportunities",
                "List open {P} opportunities with value and expected close date.",
                [
                    "what deals are in the pipeline this quarter in {P}?",
                    "show me the biggest open sales in {P}",
                ],
            ),
        ],
    ),
    "databases": (
        "system",
        ["data", "db"],
        {
            "postgres": ["PostgreSQL", "Postgres", "PostgreSQL"],
            "mysql": ["MySQL", "MySQL"],
            "mongodb": ["MongoDB", "Mongo"],
            "redis": ["Redis", "Redis"],
            "clickhouse": ["ClickHouse", "ClickHouse"],
        },
        [
            (
                "run_query",
                "Execute a read-only query against a {P} database and return rows.",
                [
                    "how many users signed up yesterday? check {P}",
                    "pull the top 10 customers by revenue from {P}",
                ],
            ),
            (
                "list_tables",
                "List the tables or collections in a {P} database.",
                [
                    "what tables exist in the {P} analytics db?",
                    "enumerate the collections we have in {P}",
                ],
            ),
            (
                "describe_table",
                "Show the columns, types and indexes of a {P} table.",
                [
                    "what fields does the orders table have in {P}?",
                    "give me the schema of users in {P}",
                ],
            ),
            (
                "backup_database",
                "Create a backup snapshot of a {P} database.",
                [
                    "dump the {P} production data before the migration",
                    "take a snapshot of {P} so we can roll back",
                ],
            ),
            (
                "kill_query",
                "Terminate a long-running {P} query or connection.",
                [
                    "stop the stuck statement that's been running for an hour in {P}",
                    "cancel the runaway job hogging {P}",
                ],
            ),
        ],
    ),
    "infra": (
        "system",
        ["ops", "cloud"],
        {
            "kubernetes": ["Kubernetes", "k8s", "Kubernetes"],
            "aws_ec2": ["AWS EC2", "EC2"],
            "gcp_compute": ["Google Compute Engine", "GCE"],
            "azure_vm": ["Azure VMs", "Azure"],
            "docker": ["Docker", "Docker"],
        },
        [
            (
                "list_instances",
                "List running {P} workloads with their status.",
                [
                    "what's currently running on {P}?",
                    "show me all the {P} machines and whether they're up",
                ],
            ),
            (
                "restart",
                "Restart a {P} workload by name.",
                ["bounce the api service on {P}", "reboot the worker on {P}, it's frozen"],
            ),
            (
                "scale",
                "Scale a {P} workload to a given number of replicas or instances.",
                [
                    "bump the web tier on {P} to 6 copies",
                    "we need fewer workers on {P}, go down to 2",
                ],
            ),
            (
                "get_logs",
                "Fetch recent logs of a {P} workload.",
                [
                    "why did the payment service crash? read its output on {P}",
                    "tail the last 200 lines from the {P} ingest job",
                ],
            ),
            (
                "deploy_image",
                "Deploy a container image version to {P}.",
                ["roll out release 2.4.1 on {P}", "ship the new build to {P}"],
            ),
        ],
    ),
    "monitoring": (
        "system",
        ["ops", "observability"],
        {
            "datadog": ["Datadog", "Datadog"],
            "prometheus": ["Prometheus", "Prometheus"],
            "grafana": ["Grafana", "Grafana"],
            "pagerduty": ["PagerDuty", "PagerDuty"],
            "sentry": ["Sentry", "Sentry"],
        },
        [
            (
                "query_metric",
                "Query a {P} metric time series over a time range.",
                [
                    "what was p99 latency of checkout in the last hour per {P}?",
                    "graph CPU usage for the db hosts from {P}",
                ],
            ),
            (
                "create_alert",
                "Create a {P} alert rule with a threshold and notification target.",
                [
                    "warn me in {P} when disk goes above 90 percent",
                    "set up a {P} notification if error rate exceeds 2%",
                ],
            ),
            (
                "acknowledge_incident",
                "Acknowledge an open {P} incident.",
                ["I'm on the outage, ack it in {P}", "confirm I've seen the {P} page for the db"],
            ),
            (
                "silence_alert",
                "Mute a {P} alert for a maintenance window.",
                [
                    "quiet the {P} noise during tonight's maintenance",
                    "snooze the flapping {P} check for two hours",
                ],
            ),
            (
                "list_errors",
                "List recent {P} errors or exceptions grouped by issue.",
                [
                    "what exceptions spiked after the deploy according to {P}?",
                    "top crashes this week in {P}",
                ],
            ),
        ],
    ),
    "weather": (
        "domain",
        ["weather"],
        {
            "openweather": ["OpenWeather", "OpenWeatherMap"],
            "accuweather": ["AccuWeather", "AccuWeather"],
            "weatherapi": ["WeatherAPI", "WeatherAPI.com"],
        },
        [
            (
                "current_weather",
                "Current weather conditions for a location from {P}: temperature, wind, humidity.",
                [
                    "is it cold in Oslo right now? use {P}",
                    "how hot is it outside in Madrid at the moment ({P})",
                ],
            ),
            (
                "forecast",
                "Multi-day weather forecast for a location from {P}.",
                [
                    "will it rain in Berlin this weekend according to {P}?",
                    "what should I pack for Rome next week, check {P}",
                ],
            ),
            (
                "air_quality",
                "Air quality index and pollutant levels for a location from {P}.",
                [
                    "is the smog bad in Delhi today per {P}?",
                    "can I go jogging in Beijing, how clean is the air ({P})",
                ],
            ),
            (
                "uv_index",
                "UV index and sun exposure risk for a location from {P}.",
                [
                    "do I need sunscreen in Sydney today? ask {P}",
                    "how strong is the sun in Cancun now per {P}",
                ],
            ),
            (
                "severe_alerts",
                "Active severe weather warnings for a region from {P}.",
                [
                    "any storm warnings for Florida in {P}?",
                    "is there a hurricane or flood alert near me via {P}",
                ],
            ),
        ],
    ),
    "maps": (
        "domain",
        ["geo"],
        {
            "google_maps": ["Google Maps", "Google Maps"],
            "mapbox": ["Mapbox", "Mapbox"],
            "here": ["HERE Maps", "HERE"],
            "osm": ["OpenStreetMap", "OSM"],
        },
        [
            (
                "geocode",
                "Convert a street address to latitude and longitude with {P}.",
                [
                    "what are the coordinates of 10 Downing Street? use {P}",
                    "turn this postal address into lat/long via {P}",
                ],
            ),
            (
                "reverse_geocode",
                "Convert coordinates into the nearest street address with {P}.",
                [
                    "what address is at 48.8584, 2.2945 on {P}?",
                    "which street is this GPS point on ({P})",
                ],
            ),
            (
                "directions",
                "Turn-by-turn driving, walking or transit route between two places from {P}.",
                [
                    "how do I get from the airport to the Louvre using {P}?",
                    "best way to walk to the station, ask {P}",
                ],
            ),
            (
                "nearby_places",
                "Find places of a category near a location with {P}.",
                [
                    "coffee shops within 500 m of me on {P}",
                    "is there a pharmacy close by? search {P}",
                ],
            ),
            (
                "travel_time",
                "Estimate travel time between two locations with current traffic from {P}.",
                [
                    "how long will the drive to Brooklyn take right now per {P}?",
                    "ETA to the office by car via {P}",
                ],
            ),
        ],
    ),
    "travel": (
        "domain",
        ["travel"],
        {
            "amadeus": ["Amadeus", "Amadeus"],
            "skyscanner": ["Skyscanner", "Skyscanner"],
            "booking": ["Booking.com", "Booking"],
            "airbnb": ["Airbnb", "Airbnb"],
            "expedia": ["Expedia", "Expedia"],
        },
        [
            (
                "search_flights",
                "Search flight offers on {P} between airports on given dates.",
                [
                    "cheapest way to fly Lisbon to Prague in May on {P}",
                    "find me a plane ticket NYC to London next Friday through {P}",
                ],
            ),
            (
                "search_stays",
                "Search hotels or rentals on {P} for a city, dates and guests.",
                [
                    "a place to sleep in Kyoto for 3 nights, 2 adults, on {P}",
                    "find accommodation near the beach in Nice via {P}",
                ],
            ),
            (
                "create_booking",
                "Book a selected flight or stay offer on {P} for a traveller.",
                ["reserve that room for me on {P}", "go ahead and purchase the 9am flight on {P}"],
            ),
            (
                "cancel_booking",
                "Cancel an existing {P} reservation by confirmation number.",
                [
                    "I can't travel anymore, cancel reservation XJ42 on {P}",
                    "undo my {P} trip booking",
                ],
            ),
            (
                "booking_status",
                "Get the status and details of a {P} reservation.",
                ["is my {P} reservation confirmed?", "details of trip ABC123 on {P}"],
            ),
        ],
    ),
    "markets": (
        "domain",
        ["finance", "markets"],
        {
            "alpha_vantage": ["Alpha Vantage", "Alpha Vantage"],
            "yahoo_finance": ["Yahoo Finance", "Yahoo Finance"],
            "polygon": ["Polygon.io", "Polygon"],
            "coinbase": ["Coinbase", "Coinbase"],
        },
        [
            (
                "quote",
                "Latest price quote for a ticker symbol from {P}.",
                [
                    "what's Apple trading at right now on {P}?",
                    "how much is one share of TSLA per {P}",
                ],
            ),
            (
                "historical_prices",
                "Daily historical open/high/low/close prices for a symbol from {P}.",
                [
                    "chart of Microsoft over the past year from {P}",
                    "MSFT closing values in 2023 via {P}",
                ],
            ),
            (
                "company_financials",
                "Income statement, balance sheet and key ratios of a company from {P}.",
                [
                    "how profitable is Nvidia, pull its earnings numbers from {P}",
                    "revenue and debt of Ford per {P}",
                ],
            ),
            (
                "fx_rate",
                "Exchange rate between two currencies from {P}.",
                ["how many yen for a dollar today on {P}?", "EUR to GBP conversion rate via {P}"],
            ),
            (
                "market_news",
                "Recent news headlines about a company or market from {P}.",
                [
                    "why did Amazon stock drop today? headlines from {P}",
                    "latest market stories on {P}",
                ],
            ),
        ],
    ),
    "docs": (
        "domain",
        ["docs", "productivity"],
        {
            "google_docs": ["Google Docs", "Google Docs"],
            "notion": ["Notion", "Notion"],
            "confluence": ["Confluence", "Confluence"],
            "sharepoint": ["SharePoint", "SharePoint"],
        },
        [
            (
                "create_page",
                "Create a new {P} document or page with a title and content.",
                [
                    "start a new {P} page for the onboarding checklist",
                    "write up meeting notes as a fresh doc in {P}",
                ],
            ),
            (
                "search_pages",
                "Full-text search across {P} documents.",
                [
                    "where's our vacation policy written down in {P}?",
                    "find the design doc about caching in {P}",
                ],
            ),
            (
                "append_text",
                "Append text to the end of an existing {P} document.",
                [
                    "add today's decisions to the bottom of the {P} notes",
                    "tack this paragraph onto the {P} runbook",
                ],
            ),
            (
                "export_pdf",
                "Export a {P} document as a PDF file.",
                [
                    "give me the {P} spec as a PDF",
                    "save the proposal from {P} to pdf for the client",
                ],
            ),
        ],
    ),
    "sheets": (
        "domain",
        ["data", "productivity"],
        {
            "google_sheets": ["Google Sheets", "Google Sheets"],
            "excel_online": ["Excel Online", "Excel"],
            "airtable": ["Airtable", "Airtable"],
        },
        [
            (
                "read_range",
                "Read the values of a cell range from a {P} spreadsheet.",
                [
                    "what numbers are in A1:D20 of the budget in {P}?",
                    "load the rows of the leads table from {P}",
                ],
            ),
            (
                "append_row",
                "Append a row of values to a {P} sheet.",
                [
                    "add a new line with today's sales to the {P} tracker",
                    "log this expense as another row in {P}",
                ],
            ),
            (
                "update_cell",
                "Update the value of a single cell in {P}.",
                [
                    "set B7 to 450 in the {P} forecast",
                    "change the status cell for task 12 in {P} to done",
                ],
            ),
            (
                "create_chart",
                "Create a chart from a data range in {P}.",
                [
                    "make a bar graph of monthly revenue in {P}",
                    "visualise column C as a line plot in {P}",
                ],
            ),
        ],
    ),
    "translation": (
        "aux",
        ["language"],
        {
            "deepl": ["DeepL", "DeepL"],
            "google_translate": ["Google Translate", "Google Translate"],
            "yandex_translate": ["Yandex Translate", "Yandex Translate"],
        },
        [
            (
                "translate_text",
                "Translate text between languages with {P}.",
                [
                    "how do you say 'where is the train station' in Japanese? use {P}",
                    "put this paragraph into German with {P}",
                ],
            ),
            (
                "detect_language",
                "Detect which language a piece of text is written in with {P}.",
                [
                    "what language is 'dziękuję bardzo'? check with {P}",
                    "identify the language of this message via {P}",
                ],
            ),
            (
                "translate_document",
                "Translate a whole document file (docx, pdf) with {P}, keeping layout.",
                [
                    "convert the contract.docx into French using {P}",
                    "get the Spanish version of this PDF manual from {P}",
                ],
            ),
        ],
    ),
    "code": (
        "domain",
        ["dev", "git"],
        {
            "github_repo": ["GitHub", "GitHub"],
            "gitlab_repo": ["GitLab", "GitLab"],
            "bitbucket": ["Bitbucket", "Bitbucket"],
        },
        [
            (
                "open_pull_request",
                "Open a pull/merge request on {P} from a branch into the base branch.",
                [
                    "propose my feature branch for review on {P}",
                    "ask to merge fix-login into main on {P}",
                ],
            ),
            (
                "merge_pull_request",
                "Merge an approved pull/merge request on {P}.",
                ["land PR 481 on {P}, it's approved", "accept the merge request on {P}"],
            ),
            (
                "list_commits",
                "List recent commits of a {P} repository branch.",
                [
                    "what changed on main this week in {P}?",
                    "who pushed to the release branch on {P} today",
                ],
            ),
            (
                "create_branch",
                "Create a new branch in a {P} repository from a ref.",
                [
                    "cut a hotfix branch off the v2 tag on {P}",
                    "start a new {P} branch called feature/search",
                ],
            ),
            (
                "run_pipeline",
                "Trigger a CI pipeline run on {P} for a branch.",
                ["kick off the tests again on {P} for my branch", "rerun the build on {P}"],
            ),
        ],
    ),
    "hr": (
        "domain",
        ["hr"],
        {
            "workday": ["Workday", "Workday"],
            "bamboohr": ["BambooHR", "BambooHR"],
            "personio": ["Personio", "Personio"],
        },
        [
            (
                "request_time_off",
                "Submit a vacation or leave request in {P}.",
                [
                    "I want holidays from Aug 1 to Aug 14, file it in {P}",
                    "book two sick days for me in {P}",
                ],
            ),
            (
                "employee_directory",
                "Look up employees in {P} by name, team or role.",
                [
                    "who manages the Berlin office according to {P}?",
                    "find the people in the data team in {P}",
                ],
            ),
            (
                "onboard_employee",
                "Start the onboarding workflow for a new hire in {P}.",
                [
                    "a new engineer joins Monday, kick off the process in {P}",
                    "set up everything in {P} for our new designer",
                ],
            ),
            (
                "payslip",
                "Retrieve an employee's payslip for a month from {P}.",
                [
                    "I need my salary statement for March from {P}",
                    "download last month's pay stub in {P}",
                ],
            ),
        ],
    ),
    "commerce": (
        "domain",
        ["ecommerce"],
        {
            "shopify": ["Shopify", "Shopify"],
            "woocommerce": ["WooCommerce", "WooCommerce"],
            "magento": ["Magento", "Magento"],
            "amazon_seller": ["Amazon Seller Central", "Amazon seller account"],
        },
        [
            (
                "list_orders",
                "List store orders from {P} with status and totals.",
                [
                    "what did customers buy today in our {P} shop?",
                    "show unfulfilled purchases on {P}",
                ],
            ),
            (
                "update_inventory",
                "Set the stock quantity of a product in {P}.",
                [
                    "we got 40 more blue mugs, update stock on {P}",
                    "mark the red hoodie as sold out in {P}",
                ],
            ),
            (
                "create_product",
                "Create a product listing in {P} with title, price and images.",
                [
                    "list a new leather wallet for 49 dollars on {P}",
                    "put the summer hat up for sale in {P}",
                ],
            ),
            (
                "refund_order",
                "Refund a {P} order and restock items.",
                [
                    "the customer returned order 1009, give money back in {P}",
                    "reimburse the damaged delivery on {P}",
                ],
            ),
        ],
    ),
    "shipping": (
        "domain",
        ["logistics"],
        {
            "fedex": ["FedEx", "FedEx"],
            "ups": ["UPS", "UPS"],
            "dhl": ["DHL", "DHL"],
            "usps": ["USPS", "USPS", "the post office"],
        },
        [
            (
                "track_package",
                "Track a {P} shipment by tracking number.",
                ["where is my parcel 1Z999 with {P}?", "has the {P} delivery arrived yet"],
            ),
            (
                "create_label",
                "Create a {P} shipping label for a parcel.",
                [
                    "print postage for a 2 kg box to Chicago with {P}",
                    "I need a {P} label to mail this return",
                ],
            ),
            (
                "rate_quote",
                "Quote {P} shipping rates for a parcel's size, weight and route.",
                [
                    "how much to send a 5 lb package to Texas by {P}?",
                    "compare {P} prices for overnight delivery",
                ],
            ),
            (
                "schedule_pickup",
                "Schedule a {P} courier pickup at an address.",
                [
                    "have {P} come collect three boxes tomorrow morning",
                    "arrange a {P} courier to fetch the parcel",
                ],
            ),
        ],
    ),
    "sms": (
        "domain",
        ["comms", "phone"],
        {
            "twilio": ["Twilio", "Twilio"],
            "vonage": ["Vonage", "Vonage"],
            "messagebird": ["MessageBird", "MessageBird"],
        },
        [
            (
                "send_sms",
                "Send an SMS text message to a phone number via {P}.",
                [
                    "text +15551234 that the order is ready, use {P}",
                    "shoot a short phone message to the driver via {P}",
                ],
            ),
            (
                "make_call",
                "Place an automated voice call that speaks a message via {P}.",
                [
                    "ring the on-call engineer and read the alert aloud via {P}",
                    "phone the customer with a recorded reminder through {P}",
                ],
            ),
            (
                "lookup_number",
                "Look up carrier and line type of a phone number via {P}.",
                [
                    "is this number a mobile or landline? check {P}",
                    "which operator owns +4479000 per {P}",
                ],
            ),
        ],
    ),
    "social": (
        "domain",
        ["marketing", "social"],
        {
            "twitter": ["X (Twitter)", "Twitter", "X"],
            "linkedin": ["LinkedIn", "LinkedIn"],
            "instagram": ["Instagram", "Instagram"],
            "facebook": ["Facebook", "Facebook"],
            "mastodon": ["Mastodon", "Mastodon"],
        },
        [
            (
                "publish_post",
                "Publish a post to the company's {P} account.",
                ["announce the new release on {P}", "share our hiring news on {P} right now"],
            ),
            (
                "schedule_post",
                "Schedule a {P} post for a future date and time.",
                [
                    "queue this {P} update for Monday 9am",
                    "plan a {P} post about the webinar for next week",
                ],
            ),
            (
                "get_mentions",
                "Fetch recent {P} mentions and replies to the account.",
                [
                    "what are people saying about us on {P}?",
                    "any new {P} replies tagging our brand",
                ],
            ),
            (
                "account_analytics",
                "Follower growth, reach and engagement statistics of the {P} account.",
                [
                    "how did our {P} posts perform last month?",
                    "engagement numbers for {P} this week",
                ],
            ),
        ],
    ),
    "websearch": (
        "aux",
        ["web", "research"],
        {
            "tavily": ["Tavily", "Tavily"],
            "bing": ["Bing", "Bing"],
            "brave": ["Brave Search", "Brave"],
            "serpapi": ["SerpAPI", "SerpAPI"],
        },
        [
            (
                "web_search",
                "Search the web with {P} and return result titles, URLs and snippets.",
                [
                    "look up online who won the 2022 World Cup using {P}",
                    "google the release date of Python 3.13 via {P}",
                ],
            ),
            (
                "news_search",
                "Search recent news articles with {P}.",
                [
                    "latest headlines about the election from {P}",
                    "what happened in tech today? {P} news",
                ],
            ),
            (
                "image_search",
                "Search the web for images with {P}.",
                [
                    "find pictures of snow leopards with {P}",
                    "get photos of the Eiffel tower at night via {P}",
                ],
            ),
            (
                "fetch_page",
                "Fetch a web page by URL via {P} and return its readable text.",
                [
                    "read the article at https://example.org/post for me using {P}",
                    "get the contents of this link through {P}",
                ],
            ),
        ],
    ),
    "media": (
        "domain",
        ["media"],
        {
            "youtube": ["YouTube", "YouTube"],
            "spotify": ["Spotify", "Spotify"],
            "vimeo": ["Vimeo", "Vimeo"],
        },
        [
            (
                "search",
                "Search the {P} catalogue for videos, tracks or channels.",
                ["find a tutorial about sourdough on {P}", "look for lofi beats on {P}"],
            ),
            (
                "create_playlist",
                "Create a {P} playlist and add items to it.",
                [
                    "make a workout mix on {P} with these songs",
                    "put together a {P} list of the talks from the conference",
                ],
            ),
            (
                "transcript",
                "Get the captions or transcript of a {P} item.",
                [
                    "what does the speaker say in this {P} clip? give me the text",
                    "subtitles of the {P} interview",
                ],
            ),
        ],
    ),
    "smarthome": (
        "domain",
        ["iot", "home"],
        {
            "home_assistant": ["Home Assistant", "Home Assistant"],
            "philips_hue": ["Philips Hue", "Hue"],
            "nest": ["Google Nest", "Nest"],
        },
        [
            (
                "switch_device",
                "Turn a {P} device such as a light or plug on or off.",
                ["switch off the kitchen lamp with {P}", "power on the living room lights via {P}"],
            ),
            (
                "set_thermostat",
                "Set the target temperature of a {P} thermostat.",
                [
                    "make the house 21 degrees through {P}",
                    "it's chilly, warm up the bedroom using {P}",
                ],
            ),
            (
                "read_sensor",
                "Read the current value of a {P} sensor (temperature, humidity, motion).",
                [
                    "how humid is the basement per {P}?",
                    "did the {P} motion detector in the garage trigger",
                ],
            ),
        ],
    ),
    "identity": (
        "system",
        ["security"],
        {
            "okta": ["Okta", "Okta"],
            "auth0": ["Auth0", "Auth0"],
            "vault": ["HashiCorp Vault", "Vault"],
        },
        [
            (
                "reset_credentials",
                "Reset a user's password or credentials in {P}.",
                [
                    "Sam is locked out, send him a new login via {P}",
                    "force a credential reset for this account in {P}",
                ],
            ),
            (
                "disable_user",
                "Deactivate a user account in {P}.",
                [
                    "revoke access for the employee who left, in {P}",
                    "suspend the compromised account on {P}",
                ],
            ),
            (
                "rotate_secret",
                "Rotate an API key or secret stored in {P}.",
                [
                    "the database token leaked, issue a new one in {P}",
                    "renew the signing key in {P}",
                ],
            ),
        ],
    ),
    "accounting": (
        "domain",
        ["finance", "accounting"],
        {
            "quickbooks": ["QuickBooks", "QuickBooks"],
            "xero": ["Xero", "Xero"],
        },
        [
            (
                "record_expense",
                "Record a business expense with amount, category and receipt in {P}.",
                [
                    "log the 85 dollar taxi ride as a travel cost in {P}",
                    "book this office supplies receipt in {P}",
                ],
            ),
            (
                "profit_loss",
                "Generate a profit and loss report for a period from {P}.",
                ["how much did we earn net last quarter? {P} report", "P&L for 2024 out of {P}"],
            ),
            (
                "create_bill",
                "Create a supplier bill to be paid in {P}.",
                [
                    "enter the vendor's invoice for hosting into {P}",
                    "we owe the printer 300 euros, add it in {P}",
                ],
            ),
        ],
    ),
}

# Russian-described tools (Russian services), with Russian requests.
RUSSIAN: list[tuple[str, str, str, list[str], list[str]]] = [
    (
        "bitrix24_create_deal",
        "domain",
        "Создать сделку в CRM Битрикс24: название, сумма, ответственный.",
        ["sales"],
        [
            "заведи в Битриксе новую продажу на 200 тысяч для ООО Ромашка",
            "открой в CRM сделку по поставке мебели для клиента Горизонт",
        ],
    ),
    (
        "bitrix24_add_task",
        "domain",
        "Поставить задачу сотруднику в Битрикс24 с крайним сроком.",
        ["productivity"],
        [
            "поручи Ивану в Битриксе подготовить отчёт до пятницы",
            "создай в Битрикс24 задачу Ольге проверить договор к среде",
        ],
    ),
    (
        "yandex_disk_upload",
        "domain",
        "Загрузить файл на Яндекс Диск в указанную папку.",
        ["files"],
        [
            "сохрани этот архив в облако Яндекса",
            "закинь отчёт за квартал на Яндекс Диск в папку Бухгалтерия",
        ],
    ),
    (
        "yandex_maps_route",
        "domain",
        "Построить маршрут между адресами в Яндекс Картах: пешком, на машине или транспорте.",
        ["geo"],
        [
            "как доехать от Павелецкого вокзала до Кремля по Яндекс Картам",
            "проложи маршрут на машине от дома до офиса на Тверской",
        ],
    ),
    (
        "yandex_weather",
        "domain",
        "Прогноз погоды Яндекс Погоды для города на несколько дней.",
        ["weather"],
        [
            "будет ли дождь в Казани в выходные по данным Яндекса",
            "какая погода будет в Санкт-Петербурге на этой неделе",
        ],
    ),
    (
        "yandex_tracker_create_issue",
        "domain",
        "Создать задачу в Яндекс Трекере в очереди проекта.",
        ["dev", "tracker"],
        [
            "заведи тикет в Трекере Яндекса про падение сборки",
            "создай задачу в Яндекс Трекере: упал деплой на staging",
        ],
    ),
    (
        "onec_create_invoice",
        "domain",
        "Выставить счёт покупателю в 1С:Бухгалтерии.",
        ["finance", "accounting"],
        [
            "сформируй в 1С счёт на оплату для клиента Вектор",
            "выстави ООО Северный ветер счёт за оказанные услуги",
        ],
    ),
    (
        "onec_stock_balance",
        "domain",
        "Получить остатки товаров на складе из 1С:Управление торговлей.",
        ["ecommerce"],
        [
            "сколько коробок бумаги осталось на складе по 1С",
            "посмотри в 1С, есть ли на складе ноутбуки Lenovo",
        ],
    ),
    (
        "sber_payment_status",
        "domain",
        "Проверить статус платежа в интернет-эквайринге СберБанка.",
        ["finance", "billing"],
        [
            "прошла ли оплата заказа 4417 через Сбер",
            "клиент говорит, что оплатил картой через Сбербанк, проверь платёж 9921",
        ],
    ),
    (
        "tinkoff_transfer",
        "domain",
        "Перевести деньги с расчётного счёта в Т-Банке (Тинькофф) по реквизитам.",
        ["finance"],
        [
            "отправь поставщику 50 000 рублей со счёта в Тинькофф",
            "переведи 12 тысяч подрядчику по реквизитам из договора через Т-Банк",
        ],
    ),
    (
        "vk_publish_post",
        "domain",
        "Опубликовать запись на стене сообщества ВКонтакте.",
        ["social", "marketing"],
        [
            "выложи анонс вебинара в нашей группе ВК",
            "опубликуй во ВКонтакте пост о скидках на выходные",
        ],
    ),
    (
        "vk_messages_send",
        "domain",
        "Отправить личное сообщение пользователю ВКонтакте от имени сообщества.",
        ["social", "comms"],
        [
            "напиши подписчику в ВК, что его заказ отправлен",
            "ответь клиенту в личку ВКонтакте, что доставка завтра",
        ],
    ),
    (
        "ozon_list_orders",
        "domain",
        "Список заказов продавца на Ozon со статусами отправления.",
        ["ecommerce"],
        ["какие заказы пришли сегодня на Озоне", "покажи новые отправления на Ozon за вчера"],
    ),
    (
        "wildberries_update_prices",
        "domain",
        "Изменить цены и скидки на товары продавца на Wildberries.",
        ["ecommerce"],
        [
            "подними цену на кроссовки на вайлдберриз на 10 процентов",
            "сделай скидку 15% на все футболки на Wildberries",
        ],
    ),
    (
        "cdek_track_parcel",
        "domain",
        "Отследить посылку СДЭК по номеру накладной.",
        ["logistics"],
        ["где сейчас моя посылка СДЭК 1234567", "отследи отправление СДЭК по накладной 1098765432"],
    ),
    (
        "russian_post_track",
        "domain",
        "Узнать статус почтового отправления Почты России по трек-номеру.",
        ["logistics"],
        [
            "дошло ли письмо Почтой России, трек RA123456789RU",
            "где застряла бандероль Почты России с трек-номером 80082345678901",
        ],
    ),
    (
        "hh_search_vacancies",
        "domain",
        "Поиск вакансий на hh.ru по должности, городу и зарплате.",
        ["hr"],
        [
            "найди работу аналитиком данных в Москве от 200 тысяч",
            "есть ли вакансии бухгалтера в Казани на хедхантере",
        ],
    ),
    (
        "hh_search_resumes",
        "domain",
        "Поиск резюме кандидатов на HeadHunter по навыкам и опыту.",
        ["hr"],
        [
            "подбери кандидатов-разработчиков на Python с опытом от трёх лет",
            "найди резюме дизайнеров с опытом в Figma на HeadHunter",
        ],
    ),
    (
        "gosuslugi_fine_check",
        "domain",
        "Проверить штрафы ГИБДД по номеру водительского удостоверения через Госуслуги.",
        ["government"],
        [
            "есть ли у меня неоплаченные штрафы за превышение скорости",
            "проверь на госуслугах, нет ли у меня штрафов ГИБДД",
        ],
    ),
    (
        "fns_company_lookup",
        "domain",
        "Найти сведения о компании в ЕГРЮЛ ФНС по ИНН или названию.",
        ["government", "finance"],
        ["проверь контрагента по ИНН 7707083893", "найди в ЕГРЮЛ юридический адрес ООО Ромашка"],
    ),
    (
        "cbr_exchange_rate",
        "domain",
        "Официальный курс валют Центрального банка России на дату.",
        ["finance"],
        [
            "какой курс доллара установил ЦБ на завтра",
            "сколько стоит евро по курсу Центробанка сегодня",
        ],
    ),
    (
        "amocrm_add_contact",
        "domain",
        "Добавить контакт клиента в amoCRM: имя, телефон, компания.",
        ["sales"],
        [
            "занеси нового покупателя Петрова с телефоном в амо",
            "добавь в amoCRM контакт Сидорова из компании Вектор",
        ],
    ),
    (
        "telegram_bot_notify",
        "domain",
        "Отправить уведомление в Telegram-чат через бота.",
        ["comms"],
        [
            "сообщи в рабочий чат в телеге, что сервер перезапущен",
            "отправь через бота в телеграм-канал дежурных, что бэкап завершён",
        ],
    ),
    (
        "yandex_metrica_report",
        "domain",
        "Отчёт Яндекс Метрики о посещаемости сайта: визиты, источники, конверсии.",
        ["marketing", "analytics"],
        [
            "сколько людей зашло на сайт вчера и откуда они пришли",
            "покажи отчёт Метрики о посещаемости за прошлый месяц",
        ],
    ),
    (
        "yandex_direct_campaign_stats",
        "domain",
        "Статистика рекламных кампаний Яндекс Директа: показы, клики, расходы.",
        ["marketing"],
        [
            "сколько мы потратили на контекстную рекламу в Директе за неделю",
            "сколько кликов собрала рекламная кампания в Яндекс Директе",
        ],
    ),
    (
        "kontur_diadoc_send",
        "domain",
        "Отправить электронный документ контрагенту через Диадок (Контур).",
        ["accounting"],
        [
            "пошли акт сверки партнёру через электронный документооборот",
            "отправь счёт-фактуру поставщику через Диадок",
        ],
    ),
    (
        "mos_ru_water_meter",
        "domain",
        "Передать показания счётчиков воды на портале mos.ru.",
        ["government", "home"],
        [
            "внеси показания горячей и холодной воды за этот месяц",
            "передай показания счётчика холодной воды на мос.ру: 00345",
        ],
    ),
    (
        "avito_post_ad",
        "domain",
        "Разместить объявление на Авито: заголовок, цена, фото, категория.",
        ["ecommerce"],
        [
            "продай мой старый велосипед на Авито за 15 тысяч",
            "размести на Авито объявление о сдаче гаража",
        ],
    ),
    (
        "yandex_taxi_order",
        "domain",
        "Заказать такси Яндекс Go от адреса до адреса с выбором тарифа.",
        ["travel"],
        [
            "вызови машину до аэропорта Шереметьево на 6 утра",
            "закажи такси комфорт от Курского вокзала до дома",
        ],
    ),
    (
        "sberzdorovie_book_doctor",
        "domain",
        "Записаться на приём к врачу через СберЗдоровье.",
        ["health"],
        [
            "запиши меня к терапевту на завтра",
            "запишись к стоматологу через СберЗдоровье на субботу",
        ],
    ),
]

# Russian requests for tools described in English, naming the vendor as people write it.
RUSSIAN_FOR_ENGLISH: list[tuple[str, str]] = [
    ("gmail_send_email", "отправь через Gmail письмо бухгалтеру с актом"),
    ("slack_send_message", "напиши в Slack в канал #release, что сборка зелёная"),
    ("jira_create_issue", "заведи в Jira баг: не работает кнопка оплаты"),
    ("google_calendar_create_event", "поставь встречу с Леной в Google Calendar на четверг в 10"),
    ("stripe_refund_payment", "верни клиенту деньги за заказ 5531 в Stripe"),
    ("github_search_issues", "какие открытые баги есть в GitHub по платежам"),
    ("postgres_run_query", "посчитай в Postgres, сколько пользователей зарегистрировалось вчера"),
    ("kubernetes_restart", "перезапусти под api-gateway в Kubernetes"),
    ("dropbox_share_link", "сделай публичную ссылку на папку с фото в Dropbox"),
    ("openweather_forecast", "прогноз погоды на выходные в Берлине из OpenWeather"),
]

# Requests no tool in the set should answer (threshold calibration).
UNRELATED = [
    "tell me a joke about penguins",
    "who painted the Mona Lisa",
    "what is the meaning of life",
    "write a haiku about autumn leaves",
    "how many legs does a spider have",
    "explain quantum entanglement like I'm five",
    "recommend a good fantasy novel",
    "what's 17 times 23",
    "say something nice to cheer me up",
    "how do I boil an egg",
    "who was the first emperor of Rome",
    "give me a synonym for happy",
    "why is the sky blue",
    "summarize the plot of Hamlet",
    "what rhymes with orange",
    "is a tomato a fruit or a vegetable",
    "teach me the rules of chess",
    "what's the difference between a crocodile and an alligator",
    "compose a limerick about a cat",
    "how tall is Mount Everest",
    "расскажи анекдот про программистов",
    "кто написал Войну и мир",
    "сколько будет дважды два",
    "придумай стихотворение про осень",
    "почему небо голубое",
    "как приготовить борщ",
    "сколько лет живут черепахи",
    "кто был первым космонавтом",
    "посоветуй хороший фильм на вечер",
    "в чём смысл жизни",
    "как научиться играть на гитаре",
    "загадай мне загадку",
    "почему кошки мурлыкают",
    "какая самая длинная река в мире",
    "напиши четверостишие про зиму",
    "объясни теорию относительности простыми словами",
    "сколько будет семнадцать умножить на двадцать три",
    "что тяжелее, килограмм ваты или килограмм железа",
    "придумай имя для щенка",
    "как перестать откладывать дела на потом",
    "чем отличается лягушка от жабы",
    "какой твой любимый цвет",
    "давай сыграем в города",
    "что ели динозавры",
    "перескажи сюжет Евгения Онегина",
    "what is your favourite colour",
    "let's play twenty questions",
    "define the word serendipity",
    "how do bees make honey",
    "what did dinosaurs eat",
]


def _language(text: str) -> str:
    return "ru" if re.search("[а-яё]", text, re.IGNORECASE) else "en"


def build() -> tuple[list[dict], list[dict]]:
    rng = random.Random(20260501)
    tools: list[dict] = []
    queries: list[dict] = []
    for domain, (tool_type, tags, providers, operations) in DOMAINS.items():
        for slug, names in providers.items():
            label, *spoken = names
            for suffix, description, _ in operations:
                tools.append(
                    {
                        "name": f"{slug}_{suffix}",
                        "type": tool_type,
                        "tags": sorted({*tags, domain}),
                        "risk": "high" if tool_type == "system" else "low",
                        "description": description.format(P=label),
                        "language": "en",
                    }
                )
        for suffix, _, requests in operations:
            # each request of an operation asks a different provider, named as people say it
            chosen = rng.sample(list(providers), k=min(len(requests), len(providers)))
            for request, slug in zip(requests, chosen, strict=False):
                spoken = providers[slug][1:] or providers[slug][:1]
                queries.append(
                    {
                        "query": request.format(P=rng.choice(spoken)),
                        "expected": [f"{slug}_{suffix}"],
                        "language": "en",
                    }
                )
    for name, tool_type, description, tags, requests in RUSSIAN:
        tools.append(
            {
                "name": name,
                "type": tool_type,
                "tags": tags,
                "risk": "low",
                "description": description,
                "language": "ru",
            }
        )
        queries += [{"query": q, "expected": [name], "language": "ru"} for q in requests]
    known = {tool["name"] for tool in tools}
    for name, request in RUSSIAN_FOR_ENGLISH:
        if name not in known:
            raise ValueError(f"RUSSIAN_FOR_ENGLISH names an unknown tool {name!r}")
        queries.append({"query": request, "expected": [name], "language": "ru"})
    queries += [{"query": q, "expected": [], "language": _language(q)} for q in UNRELATED]
    return tools, queries


def main() -> None:
    tools, queries = build()
    for path, rows in ((HERE / "tools.jsonl", tools), (HERE / "queries.jsonl", queries)):
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    labelled = sum(1 for q in queries if q["expected"])
    print(f"{len(tools)} tools, {labelled} labelled queries, {len(queries) - labelled} unrelated")


if __name__ == "__main__":
    main()
