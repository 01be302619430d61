"""Google Meet as a transcript source: the Meet REST API (conference records, participants,
transcripts and their entries), the Calendar event for attendees' emails, and the Workspace
Events subscription that announces new transcripts."""
