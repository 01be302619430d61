"""Word lists and word patterns the offline analyzer's rules share.

Stop words for titles and topics, the apostrophe class, and how a word is matched.
"""

from __future__ import annotations

import re
from typing import Final


def word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


APOS: Final = "['’]"

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_FUNCTION_WORDS: Final = word_set(
    """a about above across after again against all almost also although always am among an and
    another any anybody anyone anything anyway are around as at back be because been before being
    below between both but by can cannot could did do does doing done down during each either
    else enough even ever every everyone everything few for from further get gets getting go goes
    going gone got gotten had has have having he her here hers herself him himself his how i if in
    into is it its itself just least less let lets like made make makes many may me might mine
    more most much must my myself near need needs neither never next no nobody none nor not
    nothing now of off often on once one only onto or other others otherwise our ours ourselves
    out over own per perhaps please put quite rather really same see seem seems several shall she
    should since so some somebody someone something sometimes somewhat soon still such than that
    the their theirs them themselves then there these they this those though through thus to
    together too toward towards under until up upon us very via want wants was way we well were
    what whatever when where whether which while who whoever whom whose why will with within
    without would yes yet you your yours yourself yourselves yeah yep okay ok um uh oh hi hey
    hello bye thanks thank right sure actually basically literally probably maybe definitely
    totally gonna wanna kinda let's i'm i'll i've i'd we're we'll we've we'd you're you'll you've
    you'd it's that's there's here's what's don't doesn't didn't can't won't isn't aren't wasn't
    weren't couldn't shouldn't wouldn't haven't hasn't hadn't they're they'll they've he's she's
    already again able"""
)
# Words too common in any call to name its topics.
TOPIC_STOP: Final = _FUNCTION_WORDS | word_set(
    """thing things great good fine cool awesome perfect kind sort lot lots bit little think
    thought know knew said say says saying tell told mean means meant look looking looks looked
    stuff guess guys folks today tomorrow week weeks month months year years day days time times
    call calls meeting everybody first second third last new old big small different whole
    sounds sound happy glad hear heard start started come came take took give gave keep kept work
    works worked working part much something two three four five six seven eight nine ten
    hundred thousand monday tuesday wednesday thursday friday saturday sunday january february
    march april june july august september october november december end send sending sent
    follow check happen happens happened talk talking talked done doing tried try trying eleven
    twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty
    fifty sixty seventy eighty ninety point percent dollars bucks million billion zero half
    quarter number numbers people person question questions idea sense whole"""
)
# Verbs every title starts with: they say nothing about what the item is.
TITLE_STOP: Final = _FUNCTION_WORDS | word_set(
    """send get do take look check have make set put go come follow handle sort run give keep
    thing things stuff"""
)
