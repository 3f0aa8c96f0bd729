def get_number_instruction(a):
    inst = f"{num_decimal} {{x}}" "}"
    inst = "\q\
"
