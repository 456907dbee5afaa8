"""The demo catalog: departments, categories and products as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProductSpec:
    name: str
    price: str
    stock: int = 120
    featured: bool = False
    description: str = ""


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    sku_prefix: str = ""
    description: str = ""
    products: tuple[ProductSpec, ...] = ()
    children: tuple[CategorySpec, ...] = ()


@dataclass(frozen=True)
class DepartmentSpec:
    slug: str
    name: str
    is_b2b: bool = False
    categories: tuple[CategorySpec, ...] = field(default_factory=tuple)


P = ProductSpec
C = CategorySpec

CATALOG: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("pets", "Pets", categories=(
        C("cats", "Cats", description="Litter, boxes, scoops and food for cats.", children=(
            C("cat-litter", "Cat litter", "CL", "Clumping, silica and natural litters.", (
                P("Clumping cat litter 10 L", "8.95", 240, True),
                P("Clumping cat litter 20 L", "15.49", 160),
                P("Silica crystal litter 8 L", "12.99", 90),
                P("Wood pellet litter 15 L", "7.49", 130),
                P("Corn-based litter 12 L", "11.95", 70),
                P("Unscented sensitive litter 10 L", "9.49", 110),
            )),
            C("litter-boxes", "Litter boxes", "LB", "Open and covered litter trays.", (
                P("Open litter tray large", "14.95", 40),
                P("Covered litter box with filter", "34.95", 25, True),
                P("Corner litter box", "22.50", 0),
                P("Self-cleaning litter box", "189.00", 8),
            )),
            C("litter-scoops", "Litter scoops", "LS", "Scoops, stands and bags.", (
                P("Litter scoop with stand", "6.95", 80, True),
                P("Stainless steel litter scoop", "9.95", 60),
                P("Litter scoop XL with bag holder", "7.95", 55),
            )),
            C("cat-food", "Cat food", "CF", "Dry and wet food for cats of every age.", (
                P("Adult cat dry food chicken 2 kg", "13.95", 200, True),
                P("Adult cat dry food salmon 2 kg", "14.45", 180),
                P("Kitten dry food 1.5 kg", "12.50", 90),
                P("Wet cat food pouches 12 × 85 g", "8.49", 260),
                P("Senior cat dry food 2 kg", "15.25", 70),
                P("Cat treats tuna 60 g", "2.49", 300),
            )),
        )),
        C("dogs", "Dogs", description="Food and leads for dogs.", children=(
            C("dog-food", "Dog food", "DF", "Kibble and wet food for dogs.", (
                P("Adult dog kibble lamb 12 kg", "42.95", 80, True),
                P("Puppy kibble chicken 3 kg", "17.95", 60),
                P("Wet dog food beef 6 × 400 g", "11.49", 120),
                P("Grain-free dog kibble 10 kg", "54.95", 35),
                P("Dog chews beef 10 pcs", "6.99", 150),
            )),
            C("leads", "Leads", "LD", "Leads and harnesses.", (
                P("Nylon dog lead 1.8 m", "12.95", 70),
                P("Retractable dog lead 5 m", "19.95", 45, True),
                P("Leather dog lead 1.2 m", "29.95", 30),
                P("Reflective dog harness M", "24.50", 40),
            )),
        )),
    )),
    DepartmentSpec("farm-stable", "Farm & Stable", is_b2b=True, categories=(
        C("injection-needles", "Injection needles", "IN", "Disposable veterinary needles.", (
            P("Injection needles 1.2 × 25 mm (100)", "14.50", 400, True),
            P("Injection needles 1.6 × 40 mm (100)", "15.90", 350),
            P("Injection needles 0.9 × 25 mm (100)", "13.80", 300),
            P("Multi-dose syringe 5 ml", "24.95", 90),
        )),
        C("boots", "Boots", "BT", "Stable and farm boots.", (
            P("Stable boots PVC size 43", "29.95", 60),
            P("Stable boots PVC size 45", "29.95", 50),
            P("Safety farm boots S5 size 44", "64.95", 30, True),
            P("Insulated winter farm boots size 42", "79.00", 20),
        )),
        C("piglet-scales", "Piglet scales", "PS", "Weighing crates and scales.", (
            P("Piglet weighing crate 50 kg", "389.00", 6, True),
            P("Digital hanging scale 150 kg", "129.00", 12),
            P("Piglet weigh sling", "34.50", 25),
        )),
        C("hoof-knives", "Hoof knives", "HK", "Hoof knives and trimming tools.", (
            P("Hoof knife double-edged", "21.95", 45),
            P("Hoof knife left-handed", "19.95", 30),
            P("Hoof trimming nippers 35 cm", "48.50", 18),
        )),
        C("feed", "Feed", "FD", "Pig, cattle and poultry feed.", (
            P("Pig grower pellets 25 kg", "18.75", 900, True),
            P("Piglet starter feed 20 kg", "27.40", 500),
            P("Dairy cattle concentrate 25 kg", "16.90", 600),
            P("Mineral lick block 10 kg", "12.60", 300),
            P("Layer hen pellets 20 kg", "15.95", 250),
        )),
    )),
    DepartmentSpec("fashion", "Fashion", categories=(
        C("t-shirts", "T-shirts", "TS", "Organic cotton t-shirts.", (
            P("Basic t-shirt white", "14.95", 150, True),
            P("Basic t-shirt black", "14.95", 140),
            P("Striped t-shirt navy", "19.95", 80),
            P("V-neck t-shirt grey", "16.95", 90),
            P("Graphic t-shirt cat print", "22.50", 60, True),
            P("Long-sleeve t-shirt olive", "24.95", 70),
        )),
        C("cardigans", "Cardigans", "CD", "Knitted cardigans for every season.", (
            P("Merino cardigan grey", "69.95", 35, True),
            P("Chunky knit cardigan cream", "79.95", 25),
            P("Cotton cardigan navy", "54.95", 40),
            P("Cropped cardigan rust", "49.95", 30),
        )),
        C("jeans", "Jeans", "JN", "Denim in slim, straight and relaxed fits.", (
            P("Slim fit jeans dark blue", "59.95", 70),
            P("Straight fit jeans mid blue", "59.95", 65, True),
            P("Relaxed fit jeans black", "64.95", 45),
            P("High-waist jeans light blue", "62.50", 40),
        )),
    )),
    DepartmentSpec("food", "Food", categories=(
        C("pizzas", "Pizzas", "PZ", "Stone-baked pizzas, delivered hot.", (
            P("Pizza Margherita", "9.50", 500, True),
            P("Pizza Pepperoni", "11.50", 500, True),
            P("Pizza Quattro Formaggi", "12.50", 400),
            P("Pizza Funghi", "10.50", 400),
            P("Pizza Hawaii", "11.00", 400),
            P("Pizza Vegetariana", "11.50", 400),
            P("Pizza Calzone", "12.95", 300),
        )),
        C("toppings", "Toppings", "TP", "Extra toppings for your pizza.", (
            P("Extra mozzarella", "1.50", 900),
            P("Extra pepperoni", "1.95", 900),
            P("Jalapeños", "0.95", 900),
            P("Rocket and parmesan", "1.75", 900),
            P("Grilled vegetables", "1.95", 900),
            P("Garlic dip", "0.95", 900),
        )),
    )),
)


#: The catalogue in Dutch (``name_nl``/``description_nl``): departments and categories by
#: slug (name, description), products by their English name.
DUTCH_DEPARTMENTS: dict[str, str] = {
    "pets": "Dieren",
    "farm-stable": "Boerderij & stal",
    "fashion": "Mode",
    "food": "Eten",
}

DUTCH_CATEGORIES: dict[str, tuple[str, str]] = {
    "cats": ("Katten", "Kattenbakvulling, kattenbakken, schepjes en voer voor katten."),
    "cat-litter": ("Kattenbakvulling", "Klonterende vulling, silicakorrels en natuurlijke "
                   "vulling."),
    "litter-boxes": ("Kattenbakken", "Open en overdekte kattenbakken."),
    "litter-scoops": ("Kattenbakschepjes", "Schepjes, standaards en zakjes."),
    "cat-food": ("Kattenvoer", "Droog- en natvoer voor katten van elke leeftijd."),
    "dogs": ("Honden", "Voer en riemen voor honden."),
    "dog-food": ("Hondenvoer", "Brokken en natvoer voor honden."),
    "leads": ("Hondenriemen", "Riemen en tuigjes."),
    "injection-needles": ("Injectienaalden", "Wegwerpnaalden voor de veearts en de boer."),
    "boots": ("Laarzen", "Stal- en boerderijlaarzen."),
    "piglet-scales": ("Biggenweegschalen", "Weegkratten en weegschalen."),
    "hoof-knives": ("Hoefmessen", "Hoefmessen en bekapgereedschap."),
    "feed": ("Veevoer", "Voer voor varkens, rundvee en pluimvee."),
    "t-shirts": ("T-shirts", "T-shirts van biologisch katoen."),
    "cardigans": ("Vesten", "Gebreide vesten voor elk seizoen."),
    "jeans": ("Jeans", "Denim in slim, straight en relaxed fit."),
    "pizzas": ("Pizza’s", "Pizza’s uit de steenoven, warm bezorgd."),
    "toppings": ("Toppings", "Extra toppings voor je pizza."),
}

DUTCH_PRODUCTS: dict[str, str] = {
    "Clumping cat litter 10 L": "Klonterende kattenbakvulling 10 L",
    "Clumping cat litter 20 L": "Klonterende kattenbakvulling 20 L",
    "Silica crystal litter 8 L": "Silicakorrels kattenbakvulling 8 L",
    "Wood pellet litter 15 L": "Houtkorrels kattenbakvulling 15 L",
    "Corn-based litter 12 L": "Kattenbakvulling van maïs 12 L",
    "Unscented sensitive litter 10 L": "Ongeparfumeerde kattenbakvulling sensitive 10 L",
    "Open litter tray large": "Open kattenbak groot",
    "Covered litter box with filter": "Overdekte kattenbak met filter",
    "Corner litter box": "Hoekkattenbak",
    "Self-cleaning litter box": "Zelfreinigende kattenbak",
    "Litter scoop with stand": "Kattenbakschep met standaard",
    "Stainless steel litter scoop": "RVS kattenbakschep",
    "Litter scoop XL with bag holder": "Kattenbakschep XL met zakjeshouder",
    "Adult cat dry food chicken 2 kg": "Droogvoer volwassen kat kip 2 kg",
    "Adult cat dry food salmon 2 kg": "Droogvoer volwassen kat zalm 2 kg",
    "Kitten dry food 1.5 kg": "Kittendroogvoer 1,5 kg",
    "Wet cat food pouches 12 × 85 g": "Natvoer voor katten, zakjes 12 × 85 g",
    "Senior cat dry food 2 kg": "Droogvoer senior kat 2 kg",
    "Cat treats tuna 60 g": "Kattensnoepjes tonijn 60 g",
    "Adult dog kibble lamb 12 kg": "Hondenbrokken volwassen lam 12 kg",
    "Puppy kibble chicken 3 kg": "Puppybrokken kip 3 kg",
    "Wet dog food beef 6 × 400 g": "Natvoer voor honden rund 6 × 400 g",
    "Grain-free dog kibble 10 kg": "Graanvrije hondenbrokken 10 kg",
    "Dog chews beef 10 pcs": "Kauwsnacks voor honden rund 10 stuks",
    "Nylon dog lead 1.8 m": "Nylon hondenriem 1,8 m",
    "Retractable dog lead 5 m": "Rolriem voor honden 5 m",
    "Leather dog lead 1.2 m": "Leren hondenriem 1,2 m",
    "Reflective dog harness M": "Reflecterend hondentuig M",
    "Injection needles 1.2 × 25 mm (100)": "Injectienaalden 1,2 × 25 mm (100)",
    "Injection needles 1.6 × 40 mm (100)": "Injectienaalden 1,6 × 40 mm (100)",
    "Injection needles 0.9 × 25 mm (100)": "Injectienaalden 0,9 × 25 mm (100)",
    "Multi-dose syringe 5 ml": "Meervoudige injectiespuit 5 ml",
    "Stable boots PVC size 43": "Stallaarzen pvc maat 43",
    "Stable boots PVC size 45": "Stallaarzen pvc maat 45",
    "Safety farm boots S5 size 44": "Veiligheidslaarzen S5 maat 44",
    "Insulated winter farm boots size 42": "Gevoerde winterlaarzen maat 42",
    "Piglet weighing crate 50 kg": "Biggenweegkrat 50 kg",
    "Digital hanging scale 150 kg": "Digitale hangweegschaal 150 kg",
    "Piglet weigh sling": "Weegdoek voor biggen",
    "Hoof knife double-edged": "Hoefmes tweezijdig",
    "Hoof knife left-handed": "Hoefmes linkshandig",
    "Hoof trimming nippers 35 cm": "Hoeftang 35 cm",
    "Pig grower pellets 25 kg": "Vleesvarkenskorrel 25 kg",
    "Piglet starter feed 20 kg": "Biggenstartvoer 20 kg",
    "Dairy cattle concentrate 25 kg": "Krachtvoer melkvee 25 kg",
    "Mineral lick block 10 kg": "Mineralenliksteen 10 kg",
    "Layer hen pellets 20 kg": "Legkorrel voor kippen 20 kg",
    "Basic t-shirt white": "Basic T-shirt wit",
    "Basic t-shirt black": "Basic T-shirt zwart",
    "Striped t-shirt navy": "Gestreept T-shirt marine",
    "V-neck t-shirt grey": "T-shirt met V-hals grijs",
    "Graphic t-shirt cat print": "T-shirt met kattenprint",
    "Long-sleeve t-shirt olive": "T-shirt met lange mouwen olijf",
    "Merino cardigan grey": "Merino vest grijs",
    "Chunky knit cardigan cream": "Grofgebreid vest crème",
    "Cotton cardigan navy": "Katoenen vest marine",
    "Cropped cardigan rust": "Kort vest roest",
    "Slim fit jeans dark blue": "Slim fit jeans donkerblauw",
    "Straight fit jeans mid blue": "Straight fit jeans middenblauw",
    "Relaxed fit jeans black": "Relaxed fit jeans zwart",
    "High-waist jeans light blue": "High-waist jeans lichtblauw",
    "Pizza Margherita": "Pizza Margherita",
    "Pizza Pepperoni": "Pizza Pepperoni",
    "Pizza Quattro Formaggi": "Pizza Quattro Formaggi",
    "Pizza Funghi": "Pizza Funghi",
    "Pizza Hawaii": "Pizza Hawaï",
    "Pizza Vegetariana": "Pizza Vegetariana",
    "Pizza Calzone": "Pizza Calzone",
    "Extra mozzarella": "Extra mozzarella",
    "Extra pepperoni": "Extra pepperoni",
    "Jalapeños": "Jalapeños",
    "Rocket and parmesan": "Rucola en parmezaan",
    "Grilled vegetables": "Gegrilde groenten",
    "Garlic dip": "Knoflooksaus",
}
