import json
from constants import INST, \
    PREFIX


def get_number_instruction(answer):
    parts = answer.split('.')
    if len(parts) == 1:
        inst = "* a whole number."  # comment
    else:
        num_decimal = len(parts[1])
        inst = f"* {num_decimal} places ({{no units}})."
    print(f"{answer!r}")
    return inst
