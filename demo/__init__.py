"""The demo's AI agent, served by the development settings (`python3 dev.py run`).

Lead Router's demo routing sends self-serve signups to the "Nurture agent", an AI agent
reached by webhook. This package plays that agent at `/demo/agent/leads/` on the
development server: it verifies each delivery's signature, answers 204 (which Lead Router
counts as the agent's acknowledgment) and, a few seconds later, hands the signups from a
company address back to people through the hand-off API with a note, the way an agent
outside Lead Router would. `demo/routing.yaml` and `demo/expo.csv` are the demo's data.
"""
