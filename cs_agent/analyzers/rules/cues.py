"""Cue phrases: what marks a commitment, a request, an offer or a plan, and what rules one out.

Also how an answer accepts or declines, where a date's clause ends, and the words that raise
an item's priority.
"""

from __future__ import annotations

import re
from typing import Final

from cs_agent.analyzers.rules.lexicon import APOS, word_set

ACCEPT_WINDOW: Final = 3
"""How many turns after a request or offer to look for the answer."""

SUBJECT_WILL: Final = rf"(?:{APOS}ll|\s+will|\s+shall)"
_GOING: Final = rf"(?:{APOS}m|{APOS}re|\s+am|\s+are)\s+(?:going\s+to|gonna)"

# The lookahead skips words that cannot start a cue before the alternation is tried (2x faster).
CUE = re.compile(
    rf"""
    (?=[iwmolcdaspn])
    (?:(?P<commit>\b(?:I|we)(?:{SUBJECT_WILL}|{_GOING})
      |\b(?:I|we){APOS}d\s+be\s+(?:happy|glad|delighted)\s+to
      |\b(?:my|our)\s+team(?:{SUBJECT_WILL}|\s+is\s+going\s+to)
      |\bI\s+(?:promise|commit)\s+to)
    | (?P<weak>\b(?:I|we)\s+(?:can|could\s+definitely|need\s+to|have\s+to|plan\s+to)
      |\bI{APOS}ve\s+got\s+to)
    | (?P<let_me>\blet\s+me)
    | (?P<plan>\blet{APOS}?s(?:\s+(?:go\s+ahead\s+and|also|definitely|just|make\s+sure\s+we))?
        (?=\s+(?:schedule|set\s+up|book|plan\s+(?:on|for|a|an)|pencil|reconvene|regroup|sync\s+(?:up\s+)?(?:again|on|next)
               |find\s+(?:a\s+)?time|(?:get|put)\s+(?:\w+\s+){{0,3}}?(?:on\s+the\s+calendar|scheduled|booked)
               |follow\s+up|touch\s+base|do\s+a\s+follow)\b))
    | (?P<request>\b(?:can|could|would|will)\s+(?:you|y{APOS}all|your\s+team)(?:\s+(?:guys|all))?
        (?:\s+please)?(?:\s+be\s+able\s+to)?
      |\bwould\s+you\s+mind|\bdo\s+you\s+mind|\bare\s+you\s+able\s+to
      |\bis\s+there\s+any\s+(?:way|chance)\s+you\s+(?:could|can)
      |\b(?:I|we)(?:{APOS}d|\s+would)\s+(?:like|love)\s+(?:for\s+)?you\s+to
      |\b(?:I|we)(?:{APOS}ll)?\s+need\s+you(?:\s+(?:guys|all|two|both))?\s+to
      |\b(?:I|we)\s+(?:need|want)\s+you(?:\s+(?:guys|all|two|both))?\s+to
      |\bif\s+you\s+(?:could|can)
      |\bmake\s+sure\s+you|\bdon{APOS}t\s+forget\s+to
      |\bplease(?=\s+(?:send|share|forward|email|get|set|schedule|book|loop|confirm|provide
                     |review|sign|countersign|fill|upload|add|invite|let\s+(?:me|us)\s+know\s+by)\b))
    | (?P<offer>\b(?:do\s+you\s+want|would\s+you\s+like|want)\s+(?:me|us)\s+to
      |\b(?:should|shall)\s+(?:I|we)(?=\s)
      |\bwould\s+it\s+help\s+if\s+(?:I|we))
    | (?P<agenda>\baction\s+items?(?:\s+(?:for|on)\s+(?P<agenda_who>me|us|you|[A-Z][a-z]+))?\s*(?:is|:|,|-|–|—)
      |\bnext\s+steps?\s+(?:is|are|would\s+be|will\s+be)(?:\s+for\s+(?P<next_who>me|us|you|[A-Z][a-z]+)\s+to)?))
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Fillers between a cue and its verb: "I'll, um, just go ahead and send …".
LEAD_FILLER = re.compile(
    r"""(?:[\s,]+|\{\w+\}|\b(?:um+|uh+|mm+|erm|er|ah|like|you\s+know|I\s+mean|just|actually|also|definitely
        |certainly|probably|absolutely|personally|then|still|happily|gladly|quickly|totally
        |first(?:\s+thing)?|go\s+ahead\s+and|make\s+sure\s+(?:to|that\s+(?:I|we)(?:{a}ll|\s+will)?)
        |try\s+(?:to|and)|be\s+able\s+to|need\s+to|have\s+to|immediately|right\s+away
        |myself|ourselves|really|happy\s+to|glad\s+to|going\s+to|gonna)\b)+""".replace("{a}", APOS),
    re.IGNORECASE | re.VERBOSE,
)
NEGATED_BODY = re.compile(r"(?:not|never|no\s+longer|n{a}t)\b".replace("{a}", APOS), re.I)
NEGATED_BEFORE = re.compile(
    r"""\b(?:don{a}t\s+think|do\s+not\s+think|not\s+sure(?:\s+(?:that|if))?|doubt|no\s+way
        |wish|unless|if\s+(?:I|we)\s+were|were\s+to|what\s+if|suppose|supposing|hypothetically
        |in\s+theory|imagine|if\s+we\s+ever|if\s+I\s+ever|whether|I\s+said|you\s+said|we\s+said
        |last\s+time|in\s+the\s+past|used\s+to)\b[^,.;]*$""".replace("{a}", APOS),
    re.IGNORECASE | re.VERBOSE,
)
NON_COMMITMENT = re.compile(
    r"""(?:
      be(?!\s+(?:\w+ing|happy|glad|able|sure\s+to|in\s+touch|reaching|sending))\b
    | (?:know|see(?!\s+(?:if|whether|about|what\s+(?:I|we)\s+can))|need(?!\s+to)|want|wish|hope|guess
      |bet|admit|say|remember|miss|lose|grow|hit|reach|love|like|hear|feel|notice|survive
      |manage|wait|hold|end\s+up|die|assume|imagine|think|believe|get\s+there|cross\s+that
      |leave\s+it|stop|hand\s+(?:it|this|things)|pass\s+(?:it|this)|turn\s+it\s+over|jump|start
      |kick|repeat|try\s*[.,]|take\s+(?:that|it)\s+as|note\s+that|mention|probably\s+have
      |likely|watch|discuss|earn|owe|deserve|regret|apologi[sz]e)\b
    | (?:talk|speak|chat)\s+(?:about|through|more)\b
    | keep\s+an\s+eye | look\s+out\s+for | stay\s+tuned | stand\s+by\b
    | take\s+(?:\w+\s+)?(?:credit|blame|the\s+hit|a\s+step\s+back)\b
    | take\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty
        |sixty|seventy|eighty|ninety|a\s+hundred|hundred)
    | (?:come|circle|get|go)\s+back\s+to\s+(?:that|this|it|those|these)\b
    | get\s+(?:\w+ed|told|paid|hit|caught|stuck|burned|burnt|done\s+with)\b
    | have\s+(?:\w+ed|been|gotten|got|done|burnt|burned|seen|made|taken)\b
    | (?:recap|summari[sz]e)\b
    | tell\s+(?:you|ya|y{a}all|everyone)\b
    | let\s+(?:you|you\s+guys|you\s+all|everyone)\s+go\b
    | let\s+(?!(?:\w+\s+){{0,2}}know\b)
    | give\s+(?:you|everyone|y{a}all)\s+(?:a|an|some|the)\s+(?:quick\s+|brief\s+|little\s+)?
        (?:example|overview|background|context|rundown|recap|summary|sense|idea|intro|bit)
    | keep\s+(?:it|this)\s+(?:short|brief|quick)
    | talk\s+(?:to\s+(?:you|y{a}all|everyone)\s+)?(?:soon|later|then|next|tomorrow)
    | speak\s+soon
    | put\s+it\s+(?:this|that|another)\s+way
    | go\s+(?:first|back|on|ahead\s+and\s+share)
    | share\s+(?:my|the|your|our)?\s*screen
    | pull\s+(?:it|that|this|them|up)\b
    | ask\s+(?:you|a\s+question|one\s+question|a\s+quick)
    | walk\s+(?:you|us|everyone)\s+through
    | get\s+(?:into|started|going|through\s+(?:this|the\s+agenda))
    | have\s+to\s+(?:see|think|wait)
    | do\s+(?:a\s+)?(?:quick\s+)?(?:intro|introductions|round)
    )""".replace("{a}", APOS).replace("{{0,2}}", "{0,2}"),
    re.IGNORECASE | re.VERBOSE,
)
ACTION_VERBS: Final = word_set(
    """send share get set setup schedule reschedule book create open file prepare draft write
    put provide forward email e-mail loop introduce connect reach follow check double-check look
    dig investigate confirm find figure review update fix enable turn add remove apply process
    issue reissue deliver have arrange organize organise coordinate escalate raise chase ask talk
    speak run pull export compile extend waive credit refund upgrade downgrade configure
    provision deploy test ship submit sign countersign approve nominate pick assign invite host
    train record document circle come let grab block reserve call ping text go take make do
    handle sort bring collect gather pass hand sync meet give clean migrate install build kick
    finalize finalise finish complete resend re-send rerun re-run backfill restore reset
    reproduce patch release publish generate calculate estimate quote price invoice bill cancel
    renew move push keep post upload attach include clarify verify validate audit analyze
    analyse explore research scope plan outline summarize summarise recap fill shoot drop
    pencil align work"""
)
ACCEPT = re.compile(
    r"""^\W*(?:(?:um+|uh+|oh|so|well|and|okay|ok|alright|yeah|yes|sure|great|perfect)[\s,.!-]+)*?
    (?:yes|yeah|yep|yup|sure|absolutely|definitely|of\s+course|will\s+do|can\s+do|no\s+problem
      |no\s+worries|sounds\s+good|sounds\s+great|happy\s+to|for\s+sure|certainly|consider\s+it\s+done
      |on\s+it|(?:I|we)\s+can\s+do\s+(?:that|it)|(?:I|we)(?:{a}ll|\s+will)\s+\w+|okay|ok|alright
      |all\s+right|done|perfect|great|that\s+works|works\s+for\s+(?:me|us)|that{a}s\s+fine
      |that\s+(?:would|{a}d)\s+be\s+(?:great|helpful|perfect|amazing)|please|that\s+helps)\b""".replace(
        "{a}", APOS
    ),
    re.IGNORECASE | re.VERBOSE,
)
DECLINE = re.compile(
    r"""^\W*(?:(?:um+|uh+|so|well|oh|hmm)[\s,.]+)*
    (?:no(?!\s+(?:problem|worries))\b|nope|unfortunately|not\s+(?:really|right\s+now|yet)
      |(?:I|we)\s+(?:can{a}t|cannot|won{a}t|can\s+not|don{a}t\s+think)|I{a}d\s+rather\s+not
      |that{a}s\s+not)""".replace("{a}", APOS),
    re.IGNORECASE | re.VERBOSE,
)
STRONG_ACCEPT = re.compile(
    r"""^\W*(?:(?:oh|um+|uh+|well|so|and|okay|ok)[\s,.!-]+)*
    (?:yes|yeah|yep|yup|please|sure|absolutely|definitely|perfect|amazing|that\s+helps
      |that\s+(?:would|{a}d|will)\s+(?:be\s+)?(?:great|good|helpful|perfect|amazing|work|help)
      |that\s+works|sounds\s+(?:good|great)|let{a}s\s+do\s+(?:that|it)|do\s+it|great,?\s+thank)\b""".replace(
        "{a}", APOS
    ),
    re.IGNORECASE | re.VERBOSE,
)
LET_ME_VERBS: Final = word_set(
    """check double-check follow get circle find look dig talk speak confirm loop send set
    schedule put take reach sync chase email forward ping escalate raise book write draft
    prepare run see ask verify investigate"""
)
NOT_A_VERB: Final = word_set(
    """a an the this that these those some any my our your their his her its it one two three
    four five six seven eight nine ten hundred thousand million all both each every no more
    less much many what which who"""
)
CLAUSE_OPENERS: Final = word_set(
    """and but so then or because since once plus also just probably definitely honestly
    obviously actually now today tomorrow tonight first second third next finally otherwise
    meanwhile basically right okay ok yeah yes yep sure absolutely great perfect um uh well oh
    alright think guess suppose figure promise that hopefully still anyway fine cool good course
    noted understood agreed sorry thanks personally certainly totally hmm though too again
    morning afternoon evening week month myself ourselves instead meantime mean"""
)
# Verbs that usually describe what happens on this call, not after it.
IN_CALL_VERB = re.compile(
    r"""(?:go\s+(?:over|through)|walk\s+(?:\w+\s+)?through|cover|present|show|talk\s+through
    |run\s+through|start\s+with|touch\s+on|dive\s+into|focus\s+on|look\s+at\s+(?:the\s+)?
    (?:numbers|wins|problems|agenda|slides?|deck|next))\b""",
    re.IGNORECASE | re.VERBOSE,
)
FOLLOW_UP = re.compile(
    r"""\b(?:send|share|email|come\s+back|get\s+back|circle\s+back|report\s+back|follow\s+up
    |recommend\w*|let\s+\w+\s+know|write\s+up|with\s+(?:the|my|our|your)\s+\w+)\b""",
    re.IGNORECASE | re.VERBOSE,
)
QUESTION_TAG = re.compile(
    r"""[,-]\s*(?:right|ok(?:ay)?|yeah|sound\s+good|sounds\s+good|does\s+that\s+work(?:\s+for\s+\w+)?
    |is\s+that\s+(?:ok(?:ay)?|alright|fair|good|all\s+right)|fair|cool|how\s+does\s+that\s+sound
    |works)\s*\?+\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Where the words a date may belong to stop: a new subject starts another clause.
SUBJECT_CHANGE = re.compile(
    rf"""(?:,\s*|\s+)(?:and\s+|but\s+|so\s+|then\s+)?(?:you|they|he|she|it|that|there|this)
    (?:{APOS}(?:ll|re|s|d|ve)\b|\s+(?:will|would|should|can|could|are|is|were|was|have|had|get
       |got|need|might|may|did|do)\b)|\b(?:because|since)\b""",
    re.IGNORECASE | re.VERBOSE,
)
CLAUSE_START = re.compile(r"[,;:]\s*|\b(?:and|but|so|then)\s+", re.IGNORECASE)

URGENT = re.compile(
    r"\b(?:asap|as\s+soon\s+as\s+possible|urgent(?:ly)?|critical|outage|emergency|sev[-\s]?[01]"
    r"|p0|right\s+away|immediately)\b",
    re.IGNORECASE,
)
HIGH = re.compile(
    r"\b(?:escalat\w*|blocker|blocking|high[-\s]priority|top\s+priority|p1|sev[-\s]?2)\b",
    re.IGNORECASE,
)
INCIDENT = re.compile(
    r"\b(?:outages?|incident|downtime|went\s+down|data\s+loss|missing\s+data|data\s+gap"
    r"|stopped\s+(?:updating|working|syncing|loading)|sev[-\s]?[012]|p[01])\b",
    re.IGNORECASE,
)
