#!/usr/bin/env python3
"""Synthetic persons with known truth, for linkage benchmarks.

Peruvian given names and two surnames (with accents), nicknames, swapped or missing second
surnames, approximate or partial birth dates, missing or mistyped identity documents, places
of origin as UBIGEO codes, and the same person recorded several times (by different agencies)
with typos. Seeded: the same --seed gives the same file.

usage: generate.py --persons N --out FILE.csv [--seed S] [--dup-rate 0.5]
Columns: person_id,truth_id,given_names,first_surname,second_surname,date_of_birth,
         document_number,origin_ubigeo,sex
"""
import argparse, csv, random

FEMALE = ["María", "Rosa", "Ana", "Lucía", "Carmen", "Juana", "Elena", "Sonia", "Marta", "Flor", "Gladys", "Yolanda",
          "Maribel", "Nélida", "Rocío", "Milagros", "Jessica", "Karina", "Luz", "Teresa", "Isabel", "Patricia", "Zulema",
          "Yesenia", "Fiorella", "Ruth", "Nancy", "Edith", "Delia", "Betty", "Olga", "Susana", "Pilar", "Consuelo", "Rosario"]
MALE = ["José", "Juan", "Luis", "Carlos", "Jorge", "Pedro", "Miguel", "Víctor", "César", "Julio", "Raúl", "Wilber",
        "Edwin", "Alberto", "Francisco", "Antonio", "Manuel", "Enrique", "Jesús", "Ignacio", "Fernando", "Rafael", "Walter",
        "Hugo", "Percy", "Rubén", "Elmer", "Fredy", "Óscar", "Ángel"]
NICK = {"José": "Pepe", "Francisco": "Pancho", "Luis": "Lucho", "Ignacio": "Nacho", "Rosario": "Charo", "Isabel": "Chabela",
        "Antonio": "Toño", "Enrique": "Quique", "Jesús": "Chucho", "Manuel": "Manolo", "Teresa": "Tere", "Consuelo": "Chelo",
        "Fernando": "Nando", "Rafael": "Rafa", "Pilar": "Pili"}
SURNAMES = ["Quispe", "Mamani", "Huamán", "Flores", "Rojas", "Sánchez", "García", "Condori", "Chávez", "Torres", "Ramos",
            "Vargas", "Díaz", "Castillo", "Mendoza", "Ccori", "Apaza", "Yupanqui", "Huaranga", "Ticona", "Cusi", "Pari",
            "Vásquez", "Gutiérrez", "Rodríguez", "Pérez", "Gonzales", "López", "Cruz", "Espinoza", "Ríos", "Salazar",
            "Paucar", "Choque", "Layme", "Ccallo", "Inga", "Tupa", "Huillca", "Sulca", "Ñaupari", "Llanos", "Bellido",
            "Zevallos", "de la Cruz", "del Águila", "Villanueva", "Zamora", "Cárdenas", "Ochoa", "Olivera", "Palomino"]
# More surnames and given names common in Peru, so that namesakes are about as frequent as
# in a real register: the lists above are the head of the distribution (drawn more often,
# Zipf-like), these the long tail.
SURNAMES_TAIL = ["Aguilar", "Alarcón", "Alvarado", "Arias", "Ayala", "Bautista", "Benites", "Cabrera", "Calderón",
                 "Campos", "Carrasco", "Castro", "Cerna", "Chambi", "Chuquimango", "Coaquira", "Colque", "Córdova",
                 "Cueva", "Cutipa", "Delgado", "Domínguez", "Escobar", "Estrada", "Fernández", "Figueroa", "Fuentes",
                 "Gamarra", "Gómez", "Guerrero", "Gutierres", "Hancco", "Herrera", "Hinostroza", "Huallpa", "Huanca",
                 "Huayta", "Jiménez", "Juárez", "Lazo", "León", "Lima", "Luna", "Machaca", "Maldonado", "Manrique",
                 "Marín", "Martínez", "Medina", "Mejía", "Meza", "Miranda", "Molina", "Montes", "Morales", "Moreno",
                 "Muñoz", "Navarro", "Nina", "Núñez", "Ortiz", "Osorio", "Pacheco", "Paredes", "Peña", "Poma", "Ponce",
                 "Puma", "Quiroz", "Ramírez", "Reyes", "Rivera", "Robles", "Romero", "Ruiz", "Saavedra", "Salas",
                 "Salinas", "Sandoval", "Santos", "Sosa", "Soto", "Suárez", "Tapia", "Tello", "Toledo", "Turpo",
                 "Urbina", "Valdivia", "Valencia", "Vega", "Velásquez", "Vera", "Villa", "Villegas", "Yauri", "Zúñiga",
                 "Aquino", "Arce", "Baca", "Bravo", "Cahuana", "Ccahua", "Cjuno", "Condorí", "Cusihuamán", "Farfán",
                 "Guzmán", "Huisa", "Llerena", "Mayta", "Monzón", "Pinedo", "Panduro", "Tapullima", "Shapiama",
                 "Sangama", "Tananta", "Ahuanari", "Cachique", "Manihuari", "Pizango", "Saboya", "Tuesta", "Vela"]
FEMALE_TAIL = ["Abigail", "Adela", "Alicia", "Amelia", "Ana María", "Angélica", "Beatriz", "Blanca", "Carla", "Cecilia",
               "Claudia", "Diana", "Dina", "Elizabeth", "Elsa", "Esther", "Eva", "Gabriela", "Gloria", "Graciela",
               "Haydée", "Irma", "Janet", "Judith", "Julia", "Katherine", "Leonor", "Liliana", "Lourdes", "Magaly",
               "Margarita", "Mercedes", "Miriam", "Norma", "Paola", "Raquel", "Rebeca", "Rosalía", "Sandra", "Silvia",
               "Sofía", "Verónica", "Victoria", "Vilma", "Ximena", "Yaneth", "Yolanda", "Zenaida", "Dayana", "Fabiola"]
MALE_TAIL = ["Abel", "Adrián", "Alejandro", "Alfredo", "Andrés", "Armando", "Arturo", "Augusto", "Benjamín", "Braulio",
             "Cristian", "Daniel", "David", "Diego", "Eduardo", "Efraín", "Emilio", "Ernesto", "Félix", "Gabriel",
             "Germán", "Gilberto", "Guillermo", "Gustavo", "Héctor", "Henry", "Iván", "Jaime", "Javier", "Joel",
             "Jonathan", "Leonardo", "Lorenzo", "Marco", "Mario", "Martín", "Máximo", "Nelson", "Néstor", "Orlando",
             "Pablo", "Ricardo", "Roberto", "Rolando", "Samuel", "Santiago", "Sergio", "Teodoro", "Valentín", "Yuri"]

def zipf_choice(rng, head, tail):
    """Head names (the common ones) four times as likely each as tail names."""
    n_head, n_tail = len(head), len(tail)
    if rng.random() < 4 * n_head / (4 * n_head + n_tail):
        return rng.choice(head)
    return rng.choice(tail)

SWAPS = [("v", "b"), ("b", "v"), ("s", "z"), ("z", "s"), ("y", "ll"), ("ll", "y"), ("hua", "gua"), ("j", "g"), ("c", "s"), ("qu", "k")]
DEPTS = ["15", "16", "17", "08", "21", "25", "22", "12", "03", "05"]

def typo(s, rng):
    if not s:
        return s
    r = rng.random()
    if r < 0.35:
        for a, b in SWAPS:
            if a in s.lower():
                i = s.lower().index(a)
                return s[:i] + (b.upper() if s[i].isupper() else b) + s[i + len(a):]
    if r < 0.55:
        return s.replace("á", "a").replace("é", "e").replace("í", "i").replace("ó", "o").replace("ú", "u").replace("ñ", "n")
    if len(s) > 3:
        i = rng.randrange(1, len(s) - 1)
        op = rng.random()
        if op < 0.33:
            return s[:i] + s[i + 1:]
        if op < 0.66:
            return s[:i] + s[i + 1] + s[i] + s[i + 2:]
        return s[:i] + rng.choice("aeiourslnm") + s[i + 1:]
    return s

def person(rng, pid):
    sex = rng.choice("FM")
    head, tail = (FEMALE, FEMALE_TAIL) if sex == "F" else (MALE, MALE_TAIL)
    given = zipf_choice(rng, head, tail) + ((" " + zipf_choice(rng, head, tail)) if rng.random() < 0.45 else "")
    return {
        "truth_id": str(pid), "given_names": given, "first_surname": zipf_choice(rng, SURNAMES, SURNAMES_TAIL),
        "second_surname": zipf_choice(rng, SURNAMES, SURNAMES_TAIL), "year": rng.randint(1960, 2012), "month": rng.randint(1, 12),
        "day": rng.randint(1, 28), "document_number": f"{rng.randint(10000000, 79999999)}" if rng.random() < 0.55 else "",
        "origin_ubigeo": rng.choice(DEPTS) + f"{rng.randint(1, 9):02d}{rng.randint(1, 12):02d}", "sex": sex,
    }

def record(p, rng, noisy):
    g, s1, s2 = p["given_names"], p["first_surname"], p["second_surname"]
    y, m, d = p["year"], p["month"], p["day"]
    doc, origin = p["document_number"], p["origin_ubigeo"]
    if noisy:
        if rng.random() < 0.25:
            g = typo(g, rng)
        if rng.random() < 0.15:
            first = g.split(" ")[0]
            g = g.replace(first, NICK.get(first, first), 1)
        if rng.random() < 0.15 and " " in g:
            g = " ".join(reversed(g.split(" ")))
        if rng.random() < 0.25:
            s1 = typo(s1, rng)
        if rng.random() < 0.2:
            s2 = typo(s2, rng)
        if rng.random() < 0.12:
            s2 = ""
        if rng.random() < 0.05:
            s1, s2 = s2 or s1, s1
        if rng.random() < 0.1:
            d, m = m if m <= 28 else d, d if d <= 12 else m
        if rng.random() < 0.1:
            d += rng.choice([-1, 1]); d = min(max(d, 1), 28)
        if rng.random() < 0.12:
            m = d = None
        if doc and rng.random() < 0.35:
            doc = ""
        elif doc and rng.random() < 0.1:
            doc = doc[:-2] + doc[-1] + doc[-2]
        elif doc and rng.random() < 0.2:
            doc = f"{doc[:2]}.{doc[2:5]}.{doc[5:]}"
        if rng.random() < 0.2:
            origin = origin[:2] if rng.random() < 0.5 else origin[:4]
        if rng.random() < 0.1:
            origin = ""
    if m is None:
        dob = f"{y}"
    elif rng.random() < 0.3:
        dob = f"{d:02d}/{m:02d}/{y}"
    else:
        dob = f"{y}-{m:02d}-{d:02d}"
    return [g, s1, s2, dob, doc, origin, p["sex"]]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, required=True, help="number of records to write")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dup-rate", type=float, default=0.5, help="share of persons recorded more than once")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    rows, pid = 0, 0
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["person_id", "truth_id", "given_names", "first_surname", "second_surname", "date_of_birth",
                    "document_number", "origin_ubigeo", "sex"])
        while rows < a.persons:
            pid += 1
            p = person(rng, pid)
            copies = 1 + (rng.choice([1, 1, 1, 2, 3]) if rng.random() < a.dup_rate else 0)
            for c in range(copies):
                if rows >= a.persons:
                    break
                w.writerow([f"r{rows}", p["truth_id"]] + record(p, rng, noisy=c > 0))
                rows += 1

if __name__ == "__main__":
    main()
