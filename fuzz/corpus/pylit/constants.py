# a seed in the layout of CharXiv's constants.py
PREFIX = """
Grade the reply:\n"""

INST = {
    1: \
    """{}
    * a rule with \lambda and {{braces}}.
    """,
    'key': r'raw \q',
    2: ('a' "b"
        '''c'''),
}
