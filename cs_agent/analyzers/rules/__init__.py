"""The offline analyzer: cue-phrase rules for when no model credentials exist.

A fresh checkout has no API key, and the whole flow (items filed, a draft waiting for approval)
must still run. This package reads a call with regular expressions instead of a model:

- **Commitments** ("I'll send …", "we're going to …", "let me check …", "I can get you …")
  belong to the speaker. **Requests** ("Tom, can you …", "could you …", "please send …")
  belong to the person addressed by name, else to whoever accepts in the next turns (the other
  side first), else to the next speaker. **Offers** ("do you want me to …") count once the
  other side accepts. Negated, hypothetical and small-talk phrases ("I'll be honest", "we don't
  need to …", "if we were to …") are skipped.
- **Assignments** ("you will have to …", "Marketing will …", "instructions will be sent to
  you") go to the person named or addressed, or to the speaker's side for what the team will
  receive (``assignments``).
- Every candidate gets a score, cue strength × deliverable × specificity (``scoring``); under
  the threshold it is dropped, and the summary says how many were dropped and why. Precision
  comes first: acts inside the meeting, hedges and unanswered questions are not items.
- A request and its acceptance, a commitment said twice, or two cues in one sentence by the
  same person become one item.
- Titles are the verb phrase after the cue with dates, fillers, markers and pronouns fixed; due dates
  come from a small resolver (`resolve_due_date`) against the call date; the quote is the
  sentence as said (a verbatim slice of the utterance text).
- The summary, sentiment and risks come from counts and cue words; the email is the
  ``followup_email_offline`` template filled in.

Everything it produces says it came from rules, not a model, so nobody mistakes it for one.
"""

from cs_agent.analyzers.rules.analyzer import ANALYZER_NAME, RulesAnalyzer
from cs_agent.analyzers.rules.dates import resolve_due_date
from cs_agent.analyzers.rules.drafting import EMAIL_TEMPLATE

__all__ = ["ANALYZER_NAME", "EMAIL_TEMPLATE", "RulesAnalyzer", "resolve_due_date"]
