//! Names and a seeded dice for the demo data: the 2007–2008 history and the generator draw
//! from the same Peruvian given names and surnames (Amazonian, Andean and coastal), and the
//! same small generator, so a seed gives the same data on every machine.

pub(crate) const GIVEN_F: &[&str] = &[
    "María",
    "Rosa",
    "Ana",
    "Luz",
    "Carmen",
    "Juana",
    "Yesenia",
    "Milagros",
    "Katherine",
    "Flor",
    "Yuliana",
    "Deysi",
    "Gladys",
    "Nayeli",
    "Sheyla",
    "Roxana",
    "Maribel",
    "Elsa",
    "Jhoana",
    "Rocío",
    "Marleny",
    "Vilma",
    "Zoila",
    "Brenda",
    "Mayra",
    "Kelly",
    "Noemí",
    "Lucía",
    "Wendy",
    "Erika",
    "Lizbeth",
    "Fiorella",
    "Thalía",
    "Esther",
    "Nelly",
    "Norma",
    "Sonia",
    "Pilar",
];
pub(crate) const GIVEN_M: &[&str] = &[
    "Juan", "José", "Luis", "Carlos", "Jorge", "Wilmer", "Edwin", "Percy", "Hugo", "Ronald", "Walter", "Elmer", "Alfredo", "Segundo",
    "Víctor", "César", "Jhon", "Miguel", "Raúl", "Julio", "Fredy", "Ángel", "Teodoro", "Saúl",
];
pub(crate) const SECOND_GIVEN: &[&str] = &["Elena", "Isabel", "del Pilar", "Milagros", "Luz", "Antonio", "Alberto", "Enrique", "Alexander"];
pub(crate) const SURNAMES: &[&str] = &[
    "Quispe",
    "Mamani",
    "Huamán",
    "Flores",
    "Rodríguez",
    "Sánchez",
    "García",
    "Rojas",
    "Díaz",
    "Torres",
    "Chávez",
    "Ramírez",
    "Vásquez",
    "Mendoza",
    "Condori",
    "Apaza",
    "Ccori",
    "Huallpa",
    "Ttito",
    "Layme",
    "Ahuanari",
    "Tamani",
    "Pacaya",
    "Murayari",
    "Arirama",
    "Yuyarima",
    "Sangama",
    "Shupingahua",
    "Tuesta",
    "Panduro",
    "Chumbe",
    "Canayo",
    "Inuma",
    "Macedo",
    "Lozano",
    "Saavedra",
    "Guerra",
    "Vela",
    "Tapullima",
    "Pinedo",
    "Ruiz",
    "Gonzales",
    "Pérez",
    "Castillo",
    "Cárdenas",
    "Huanca",
    "Ccahuana",
    "de la Cruz",
    "del Águila",
    "Fasabi",
];
pub(crate) const ALIASES: &[&str] = &["La Flaca", "Chata", "Negrita", "Gringa", "La Tía", "El Cholo", "Chino", "Colorada", "Pocha", "Mami"];

/// xorshift64*: small, fast, and the same everywhere for a seed.
pub(crate) struct Dice {
    state: u64,
    /// Persons coded so far, and the odd multiplier that spreads their codes.
    pub(crate) serial: u64,
    pub(crate) spread: u64,
}

impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        let state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        Dice { state, serial: 0, spread: (state >> 7) | 1 }
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub(crate) fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs.get(self.below(xs.len() as u64) as usize).copied().unwrap_or("")
    }
    pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        for x in &mut b {
            *x = self.next() as u8;
        }
        b
    }
    pub(crate) fn id(&mut self) -> String {
        self.bytes::<16>().iter().map(|b| format!("{b:02x}")).collect()
    }
}
